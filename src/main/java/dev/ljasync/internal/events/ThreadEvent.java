package dev.ljasync.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;

/** What every event about a LuaThread says: its name. */
@Category("lj-async")
@StackTrace(false)
abstract class ThreadEvent extends Event {

    @Label("Lua Thread")
    @Description("The LuaThread's name (LuaThread.Builder.name, \"lua-thread-N\" by default)")
    String luaThread;

    /** Fills the name and commits, when enabled and past its threshold. */
    final void record(String luaThread) {
        if (shouldCommit()) {
            this.luaThread = luaThread;
            commit();
        }
    }
}
