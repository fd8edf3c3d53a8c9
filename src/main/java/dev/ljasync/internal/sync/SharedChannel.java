package dev.ljasync.internal.sync;

import dev.ljasync.internal.events.ChannelWait;
import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The queue behind a channel: messages in FIFO order, bounded or not, closable. A message is its bytes
 * ({@link Messages#encode}), or a number or boolean that Java sent as it is ({@link Messages#message}): a Java
 * receiver takes that without decoding anything, and a Lua one gets its bytes. Thread-safe: one lock and two
 * conditions, as {@link java.util.concurrent.ArrayBlockingQueue} has. Waits are interruptible.
 */
public final class SharedChannel extends Shared {

    /** What {@link #receive} returns after its timeout. */
    public static final byte[] TIMED_OUT = new byte[0];
    /** What {@link #receive} returns once the channel is closed and empty. */
    public static final byte[] ENDED = new byte[0];

    private final int capacity; // 0: unbounded
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private boolean closed;
    private List<ChannelSelect> selects; // the selects waiting here, woken by each send and by close; guarded by lock

    private SharedChannel(int capacity) {
        this.capacity = capacity;
    }

    /**
     * A new channel in the registry, with its creator's reference.
     *
     * @param capacity the most messages it holds, or 0 for no limit
     * @throws IllegalArgumentException when negative
     */
    public static SharedChannel create(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("a channel's capacity must be at least 1 (or none: unbounded), not "
                    + capacity);
        }
        return register(new SharedChannel(capacity));
    }

    @Override
    public Kind kind() {
        return Kind.CHANNEL;
    }

    /**
     * Appends a message (bytes, or what {@link Messages#message} gives), waiting up to {@code nanos} for room.
     *
     * @return {@link #OK}, {@link #TIMEOUT}, or {@link #CLOSED} (nothing was appended then)
     */
    public int send(Object message, long nanos) throws InterruptedException {
        ChannelWait wait = null;
        lock.lockInterruptibly();
        try {
            while (!closed && capacity != 0 && queue.size() >= capacity) {
                if (nanos <= 0) {
                    return TIMEOUT;
                }
                wait = ChannelWait.started(wait);
                nanos = await(notFull, nanos);
            }
            if (closed) {
                return CLOSED;
            }
            queue.addLast(message);
            notEmpty.signal();
            wakeSelects();
            return OK;
        } finally {
            lock.unlock();
            ChannelWait.ended(wait, this, "send");
        }
    }

    /**
     * Takes the first message, waiting up to {@code nanos} for one.
     *
     * @return the message (for {@link Messages#value}), {@link #TIMED_OUT}, or {@link #ENDED} when the channel is
     *         closed and empty
     */
    public Object receive(long nanos) throws InterruptedException {
        ChannelWait wait = null;
        lock.lockInterruptibly();
        try {
            while (queue.isEmpty()) {
                if (closed) {
                    return ENDED;
                }
                if (nanos <= 0) {
                    return TIMED_OUT;
                }
                wait = ChannelWait.started(wait);
                nanos = await(notEmpty, nanos);
            }
            return take();
        } finally {
            lock.unlock();
            ChannelWait.ended(wait, this, "receive");
        }
    }

    /**
     * Copies the first message into {@code buffer} and takes it, waiting up to {@code nanos} for one. A number that
     * Java or Lua sent as a number ({@link Messages#isNumber}) is not copied as bytes: the result is
     * {@code -NUMBER}, and {@code out} holds it. A message larger than the buffer stays first in the queue: the
     * result is {@code -TOO_SMALL}, and {@code out} holds its size and the seconds left of the wait (-1 for forever),
     * for the caller to grow its buffer and ask again. So a message leaves the queue only once it is copied: none is
     * lost to a buffer that was too small.
     *
     * @param out two doubles, written only for {@code -NUMBER} and {@code -TOO_SMALL}
     * @return the message's length, or minus {@link #NUMBER}, {@link #TIMEOUT}, {@link #CLOSED} or
     *         {@link #TOO_SMALL}
     */
    long receiveInto(MemorySegment buffer, long nanos, MemorySegment out) throws InterruptedException {
        ChannelWait wait = null;
        lock.lockInterruptibly();
        try {
            while (queue.isEmpty()) {
                if (closed) {
                    return -CLOSED;
                }
                if (nanos <= 0) {
                    return -TIMEOUT;
                }
                wait = ChannelWait.started(wait);
                nanos = await(notEmpty, nanos);
            }
            if (Messages.isNumber(queue.peekFirst())) {
                out.set(JAVA_DOUBLE, 0, ((Number) take()).doubleValue());
                return -NUMBER;
            }
            byte[] first = Messages.bytes(queue.peekFirst());
            if (first.length > buffer.byteSize()) {
                out.set(JAVA_DOUBLE, 0, first.length);
                out.set(JAVA_DOUBLE, 8, nanos == FOREVER ? -1 : Math.max(nanos, 0) / 1e9);
                notEmpty.signal(); // this receiver leaves without the message: pass its wake-up on
                return -TOO_SMALL;
            }
            MemorySegment.copy(first, 0, buffer, JAVA_BYTE, 0, first.length);
            take();
            return first.length;
        } finally {
            lock.unlock();
            ChannelWait.ended(wait, this, "receive");
        }
    }

    private Object take() {
        Object message = queue.pollFirst();
        notFull.signal();
        return message;
    }

    /**
     * Offers the first message to {@code taker} without waiting, for a select: the message leaves the queue when
     * the taker accepts it, and stays first when it does not (a buffer too small), passing its wake-up on.
     *
     * @return {@link #OK} (taken), {@link #TOO_SMALL} (left), {@link #TIMEOUT} (none now), or {@link #CLOSED} (closed
     *         and empty)
     */
    int poll(Predicate<Object> taker) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            Object first = queue.peekFirst();
            if (first == null) {
                return closed ? CLOSED : TIMEOUT;
            }
            if (!taker.test(first)) {
                notEmpty.signal();
                return TOO_SMALL;
            }
            take();
            return OK;
        } finally {
            lock.unlock();
        }
    }

    /** Makes each send and the close wake {@code select} (once per call: a channel listed twice is added twice). */
    void register(ChannelSelect select) {
        lock.lock();
        try {
            if (selects == null) {
                selects = new ArrayList<>(2);
            }
            selects.add(select);
        } finally {
            lock.unlock();
        }
    }

    /** Undoes one {@link #register}. */
    void unregister(ChannelSelect select) {
        lock.lock();
        try {
            selects.remove(select);
        } finally {
            lock.unlock();
        }
    }

    private void wakeSelects() {
        if (selects != null) {
            for (ChannelSelect select : selects) {
                select.wake();
            }
        }
    }

    private static long await(Condition condition, long nanos) throws InterruptedException {
        if (nanos == FOREVER) {
            condition.await();
            return FOREVER;
        }
        return condition.awaitNanos(nanos);
    }

    /** Refuses further sends and wakes every waiter; what is queued can still be received. Idempotent. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
            wakeSelects();
        } finally {
            lock.unlock();
        }
    }

    /** True once closed. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** The messages queued now. */
    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** The most messages it holds, or 0 when unbounded. */
    public int capacity() {
        return capacity;
    }

    @Override
    void dropped() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return super.toString() + (capacity == 0 ? " (unbounded)" : " (capacity " + capacity + ")");
    }
}
