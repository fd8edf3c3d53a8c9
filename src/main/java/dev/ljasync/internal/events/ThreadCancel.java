package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A running LuaThread was asked to stop, on the thread that asked. */
@Name("dev.ljasync.ThreadCancel")
@Label("Lua Thread Cancel")
@Description("A running LuaThread was cancelled, by cancel() or its future (the event's thread is the one that did it)")
public final class ThreadCancel extends ThreadEvent {

    /** Records a cancel, when a recording has this event enabled. */
    public static void emit(String luaThread) {
        ThreadCancel event = new ThreadCancel();
        if (event.isEnabled()) {
            event.record(luaThread);
        }
    }
}
