package dev.ljasync.internal.events;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * A call that found every state of its callback busy and waited for one longer than the threshold (1 ms unless the
 * recording sets the event's {@code threshold}). Begun only once a claim has failed: an uncontended call makes none.
 */
@Name("dev.ljasync.StateWait")
@Label("Callback State Wait")
@Description("A call waited for a free state of its callback (every state of the pool was busy)")
@Threshold("1 ms")
@StackTrace(false)
public final class StateWait extends CallbackEvent {

    @Label("States")
    @Description("How many states the callback has")
    int states;

    /** Begins timing a wait. */
    public static StateWait started() {
        StateWait event = new StateWait();
        event.begin();
        return event;
    }

    /** Ends the wait begun by {@link #started()} and records it when enabled and past the threshold. */
    public void ended(String callback, String signature, int states) {
        end();
        this.states = states;
        record(callback, signature);
    }
}
