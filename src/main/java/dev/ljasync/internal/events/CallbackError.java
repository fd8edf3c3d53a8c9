package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A call of a callback that failed: its Lua error, a result that did not convert, a failure in Java. */
@Name("dev.ljasync.CallbackError")
@Label("Callback Error")
@Description("A call of a callback failed: the native caller got the fallback result")
@StackTrace(false)
public final class CallbackError extends CallbackEvent {

    @Label("Kind")
    @Description("The LuaException's kind: RUNTIME, MEMORY, EXIT, JAVA, ...")
    String kind;

    @Label("Message")
    @Description("The error message, with the chunk and line")
    String message;

    @Label("Traceback")
    @Description("The Lua traceback, or empty when there is none")
    String traceback;

    /** Records a failed call, when a recording has this event enabled. */
    public static void emit(String callback, String signature, String kind, String message, String traceback) {
        CallbackError event = new CallbackError();
        if (event.isEnabled()) {
            event.kind = kind;
            event.message = message;
            event.traceback = traceback;
            event.record(callback, signature);
        }
    }
}
