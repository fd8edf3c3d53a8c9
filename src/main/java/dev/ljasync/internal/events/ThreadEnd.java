package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A LuaThread ended; its duration is the thread's run, from its start to its end. */
@Name("dev.ljasync.ThreadEnd")
@Label("Lua Thread End")
@Description("A LuaThread ended: finished, failed or cancelled (the duration is how long it ran)")
public final class ThreadEnd extends ThreadEvent {

    @Label("Status")
    @Description("FINISHED, FAILED or CANCELLED")
    String status;

    @Label("Error")
    @Description("The error that ended a failed or cancelled thread; null for a finished one")
    String error;

    /** Begins timing a thread's run. */
    public static ThreadEnd started() {
        ThreadEnd event = new ThreadEnd();
        event.begin();
        return event;
    }

    /** Ends the run begun by {@link #started()}, if it began, and records it when enabled. */
    public static void ended(ThreadEnd run, String luaThread, String status, String error) {
        if (run != null) {
            run.end();
            run.status = status;
            run.error = error;
            run.record(luaThread);
        }
    }
}
