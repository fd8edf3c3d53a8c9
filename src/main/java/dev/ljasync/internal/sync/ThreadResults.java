package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.Messages;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The way a LuaThread's results cross into Java: a channel of its own, into which thread.lua sends each result of the
 * thread function as a message ({@link Messages}), so that they convert exactly as the values of a channel do. The
 * thread's body takes them once the function has returned, and then lets the channel go. Thread-safe.
 */
public final class ThreadResults {

    /**
     * The count thread.lua returns for one number, which it wrote into {@link #numberSlot()} instead of sending it:
     * the most common result crosses without the channel, so that the thread's state need not load the encoder
     * (ljasync.sync), which costs more than the rest of a short thread's Lua work.
     */
    public static final long ONE_NUMBER = -1;

    private final SharedChannel channel = SharedChannel.create(0);
    private final MemorySegment number = Arena.ofAuto().allocate(JAVA_DOUBLE);

    /** The channel's handle, for thread.lua to wrap. */
    public long handle() {
        return channel.handle();
    }

    /** Where thread.lua writes a result that is one number (a {@code double *}). */
    public MemorySegment numberSlot() {
        return number;
    }

    /**
     * Takes the {@code count} results that thread.lua sent, in order, as messages ({@link #ONE_NUMBER}: the one it
     * wrote).
     *
     * @throws IllegalStateException when fewer than {@code count} were sent (Lua code with the channel's handle
     *                               took some)
     * @throws InterruptedException  when the calling thread is interrupted
     */
    public List<byte[]> take(long count) throws InterruptedException {
        if (count == ONE_NUMBER) {
            return List.of(Messages.bytes(number.get(JAVA_DOUBLE, 0)));
        }
        if (count < 0 || count > channel.size()) {
            throw new IllegalStateException("the thread function returned " + count + " results, but "
                    + channel.size() + " reached Java (Lua code that wrapped the results' channel took some)");
        }
        byte[][] messages = new byte[(int) count][];
        for (int i = 0; i < messages.length; i++) {
            Object message = channel.receive(0);
            if (message == SharedChannel.TIMED_OUT || message == SharedChannel.ENDED) {
                throw new IllegalStateException("result " + (i + 1) + " of the thread function went missing (Lua"
                        + " code that wrapped the results' channel took it)");
            }
            messages[i] = Messages.bytes(message);
        }
        return List.of(messages);
    }

    /**
     * The Java values of results taken by {@link #take} (null for nil).
     *
     * @return an unmodifiable list, which may hold nulls
     */
    public static List<Object> decode(List<byte[]> messages) {
        Object[] values = new Object[messages.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Messages.decode(messages.get(i));
        }
        return Collections.unmodifiableList(Arrays.asList(values));
    }

    /** Lets the channel go: once the thread's state has closed too, what is left in it is dropped. Call once. */
    public void release() {
        channel.release();
    }
}
