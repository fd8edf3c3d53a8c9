package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A LuaThread began to run, on the thread that runs it. */
@Name("dev.ljasync.ThreadStart")
@Label("Lua Thread Start")
@Description("A LuaThread began to run (the event's thread is the one that runs it)")
public final class ThreadStart extends ThreadEvent {

    @Label("Native")
    @Description("Whether it runs on a native (pthread) thread rather than a Java platform thread")
    boolean nativeThread;

    @Label("Cancellable")
    @Description("Whether it was started cancellable")
    boolean cancellable;

    /** Whether a recording has this event enabled now. */
    public static boolean isRecorded() {
        return new ThreadStart().isEnabled();
    }

    /** Records a start, when a recording has this event enabled. */
    public static void emit(String luaThread, boolean nativeThread, boolean cancellable) {
        ThreadStart event = new ThreadStart();
        if (event.isEnabled()) {
            event.nativeThread = nativeThread;
            event.cancellable = cancellable;
            event.record(luaThread);
        }
    }
}
