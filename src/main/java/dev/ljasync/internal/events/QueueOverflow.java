package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A call of a queued callback that found its queue full: dropped, or made to wait for room. */
@Name("dev.ljasync.QueueOverflow")
@Label("Callback Queue Overflow")
@Description("A call of a queued callback found its queue full")
@StackTrace(false)
public final class QueueOverflow extends CallbackEvent {

    @Label("Capacity")
    @Description("The most calls the queue holds")
    int capacity;

    @Label("Dropped")
    @Description("Whether the call was dropped (QueueFull.DROP, or a call from the callback's own worker); false when"
            + " the caller waited for room (QueueFull.BLOCK)")
    boolean dropped;

    /** Records an overflow, when a recording has this event enabled. */
    public static void emit(String callback, String signature, int capacity, boolean dropped) {
        QueueOverflow event = new QueueOverflow();
        if (event.isEnabled()) {
            event.capacity = capacity;
            event.dropped = dropped;
            event.record(callback, signature);
        }
    }
}
