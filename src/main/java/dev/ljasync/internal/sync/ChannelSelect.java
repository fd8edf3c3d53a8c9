package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import static dev.ljasync.internal.sync.Shared.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * One receive from whichever of several channels has a message first: Go's {@code select} over receives, Lanes'
 * {@code linda:receive(key1, key2, ...)}. Made and awaited by one thread.
 *
 * <p>It looks at the channels in turn without waiting, starting at a rotating index, so that a channel that always
 * has messages does not starve the ones after it. When none has one, it registers with every channel and parks:
 * each send and each close wakes the selects registered there, and it looks again. It registers before it looks,
 * so a message sent in between is seen by the look or wakes it: no wake-up is lost, and nothing is polled.
 */
public final class ChannelSelect {

    private static final AtomicInteger TURN = new AtomicInteger(); // where Java's selects start their look

    private final SharedChannel[] channels;
    private final Thread waiter = Thread.currentThread();
    private volatile boolean woken;
    private long deadline;
    private int index = -1;
    private Object message;

    /**
     * A select over these channels, for the calling thread.
     *
     * @throws IllegalArgumentException when there are none
     */
    public ChannelSelect(SharedChannel... channels) {
        if (channels.length == 0) {
            throw new IllegalArgumentException("a select needs at least one channel");
        }
        this.channels = channels;
    }

    /**
     * Takes the first message of the first channel that has one, waiting up to {@code nanos} ({@link #FOREVER}: as
     * long as it takes); the look starts at a rotating index.
     *
     * @return {@link #OK} (see {@link #index()} and {@link #message()}), {@link #CLOSED} ({@link #index()} is a closed,
     *         empty channel), or {@link #TIMEOUT}
     */
    public int await(long nanos) throws InterruptedException {
        return await(Math.floorMod(TURN.getAndIncrement(), channels.length), nanos, first -> {
            message = first;
            return true;
        });
    }

    /** The index of the channel that the last {@link #await} chose. */
    public int index() {
        return index;
    }

    /** The message taken by the last {@link #await} that returned {@link #OK}, for {@link Messages#value}. */
    public Object message() {
        return message;
    }

    /**
     * As {@link #await(long)}, starting the look at {@code start}, with {@code taker} deciding whether it takes a
     * message (see {@link SharedChannel#poll}): {@link #TOO_SMALL} when it left one.
     */
    int await(int start, long nanos, Predicate<Object> taker) throws InterruptedException {
        deadline = nanos == FOREVER ? 0 : System.nanoTime() + nanos;
        int status = look(start, taker);
        if (status != TIMEOUT || nanos <= 0) {
            return status;
        }
        int registered = 0;
        try {
            for (SharedChannel channel : channels) {
                channel.register(this);
                registered++;
            }
            while (true) {
                woken = false; // before the look: a send after it sets it again
                status = look(start, taker);
                if (status != TIMEOUT) {
                    return status;
                }
                while (!woken) {
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    if (nanos == FOREVER) {
                        LockSupport.park(this);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return TIMEOUT;
                        }
                        LockSupport.parkNanos(this, left);
                    }
                }
            }
        } finally {
            for (int i = 0; i < registered; i++) {
                channels[i].unregister(this);
            }
        }
    }

    private int look(int start, Predicate<Object> taker) throws InterruptedException {
        int n = channels.length;
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            int status = channels[at].poll(taker);
            if (status != TIMEOUT) {
                index = at;
                return status;
            }
        }
        return TIMEOUT;
    }

    /** Called by a channel, under its lock, when it gets a message or closes. */
    void wake() {
        woken = true;
        LockSupport.unpark(waiter);
    }

    /**
     * A select from Lua: {@code sel} holds doubles, [0] the index to start at (0-based) and, on return, the index
     * chosen; [1] and [2] the size of a message too large for {@code buffer} and the seconds left of the wait (-1 for
     * forever), for the caller to grow its buffer and select again; [3] to [3 + n) the channels' handles.
     *
     * @return the length of the message copied into {@code buffer}, or minus {@link #TIMEOUT}, {@link #CLOSED},
     *         {@link #TOO_SMALL} or {@link #NO_OBJECT} (sel[0] is the channel's index then)
     */
    static long receiveInto(int n, MemorySegment buffer, long nanos, MemorySegment sel) throws InterruptedException {
        if (n < 1 || n > Integer.MAX_VALUE / 8 - 3) {
            throw new IllegalArgumentException("a select needs 1 to " + (Integer.MAX_VALUE / 8 - 3)
                    + " channels, not " + n);
        }
        sel = sel.reinterpret(8L * (3 + n));
        SharedChannel[] channels = new SharedChannel[n];
        for (int i = 0; i < n; i++) {
            if (!(Shared.find((long) sel.getAtIndex(JAVA_DOUBLE, 3 + i)) instanceof SharedChannel channel)) {
                sel.setAtIndex(JAVA_DOUBLE, 0, i);
                return -NO_OBJECT;
            }
            channels[i] = channel;
        }
        int start = Math.floorMod((int) sel.getAtIndex(JAVA_DOUBLE, 0), n);
        long[] length = {0};
        ChannelSelect select = new ChannelSelect(channels);
        int status = select.await(start, nanos, held -> {
            byte[] first = Messages.bytes(held);
            length[0] = first.length;
            if (first.length > buffer.byteSize()) {
                return false;
            }
            MemorySegment.copy(first, 0, buffer, JAVA_BYTE, 0, first.length);
            return true;
        });
        sel.setAtIndex(JAVA_DOUBLE, 0, select.index);
        return switch (status) {
            case OK -> length[0];
            case TOO_SMALL -> {
                sel.setAtIndex(JAVA_DOUBLE, 1, length[0]);
                sel.setAtIndex(JAVA_DOUBLE, 2, nanos == FOREVER ? -1
                        : Math.max(select.deadline - System.nanoTime(), 0) / 1e9);
                yield -TOO_SMALL;
            }
            default -> -status;
        };
    }
}
