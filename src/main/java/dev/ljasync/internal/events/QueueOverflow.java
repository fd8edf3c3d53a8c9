package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A call that a queued callback could not queue because its queue was full. */
@Name("dev.ljasync.QueueOverflow")
@Label("Callback Queue Overflow")
@Description("A call of a queued callback found its queue full")
@StackTrace(false)
public final class QueueOverflow extends CallbackEvent {

    @Label("Capacity")
    @Description("The most calls the queue holds")
    int capacity;

    /** Records an overflow, when a recording has this event enabled. */
    public static void emit(String callback, String signature, int capacity) {
        QueueOverflow event = new QueueOverflow();
        if (event.isEnabled()) {
            event.capacity = capacity;
            event.record(callback, signature);
        }
    }
}
