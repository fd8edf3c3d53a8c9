package dev.ljasync.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * A send that waited for room in a full channel, or a receive that waited for a message, longer than the threshold
 * (1 ms unless the recording sets the event's {@code threshold}). Begun only when the operation has to wait.
 */
@Name("dev.ljasync.ChannelWait")
@Label("Channel Wait")
@Description("A channel send waited for room, or a receive for a message")
@Category("lj-async")
@Threshold("1 ms")
@StackTrace(false)
public final class ChannelWait extends Event {

    @Label("Channel")
    @Description("The channel, with its handle and capacity")
    String channel;

    @Label("Operation")
    @Description("send or receive")
    String operation;

    /** Begins timing a wait, the first time an operation has to wait; returns {@code begun} after that. */
    public static ChannelWait started(ChannelWait begun) {
        if (begun != null) {
            return begun;
        }
        ChannelWait event = new ChannelWait();
        event.begin();
        return event;
    }

    /** Ends a wait begun by {@link #started}, if any, and records it when enabled and past the threshold. */
    public static void ended(ChannelWait wait, Object channel, String operation) {
        if (wait != null) {
            wait.end();
            if (wait.shouldCommit()) {
                wait.channel = channel.toString();
                wait.operation = operation;
                wait.commit();
            }
        }
    }
}
