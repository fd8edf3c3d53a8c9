package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A call of a callback that never ran: re-entrant with no free state, after close, or with too little stack. */
@Name("dev.ljasync.CallbackRefused")
@Label("Callback Refused")
@Description("A call of a callback was refused without running Lua code: the native caller got the fallback result")
@StackTrace(false)
public final class CallbackRefused extends CallbackEvent {

    @Label("Reason")
    @Description("Why the call was refused")
    String reason;

    /** Records a refused call, when a recording has this event enabled. */
    public static void emit(String callback, String signature, String reason) {
        CallbackRefused event = new CallbackRefused();
        if (event.isEnabled()) {
            event.reason = reason;
            event.record(callback, signature);
        }
    }
}
