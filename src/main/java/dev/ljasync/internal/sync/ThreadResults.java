package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.Messages;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The way a LuaThread's results cross into Java: a channel of its own, into which thread.lua sends each result of the
 * thread function as a message ({@link Messages}), so that they convert exactly as the values of a channel do. The
 * thread's body takes them once the function has returned, and then lets the channel go. Thread-safe.
 */
public final class ThreadResults {

    private final SharedChannel channel = SharedChannel.create(0);

    /** The channel's handle, for thread.lua to wrap. */
    public long handle() {
        return channel.handle();
    }

    /**
     * Takes the {@code count} results that thread.lua sent, in order, as messages.
     *
     * @throws IllegalStateException when fewer than {@code count} were sent (Lua code with the channel's handle
     *                               took some)
     * @throws InterruptedException  when the calling thread is interrupted
     */
    public List<byte[]> take(long count) throws InterruptedException {
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
