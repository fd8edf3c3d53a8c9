package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The store behind lj-async's keeper (the module lj-async.keeper): for each key, a FIFO queue of values, all of them
 * encoded messages ({@link Messages}). A key is the message of a string, number or boolean, so keys compare as Lua
 * compares them. Unbounded: a send never waits. A receive takes from the first of its keys that has a value,
 * waiting up to a timeout for one. Thread-safe: one lock and one condition, signalled on every send.
 */
public final class SharedKeeper extends Shared {

    private final Map<ByteBuffer, ArrayDeque<byte[]>> queues = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition sent = lock.newCondition();

    private SharedKeeper() {}

    /** A new, empty keeper in the registry, with its creator's reference. */
    public static SharedKeeper create() {
        return register(new SharedKeeper());
    }

    @Override
    public Kind kind() {
        return Kind.KEEPER;
    }

    /** Appends {@code value} to the queue of {@code key} (both messages). */
    void send(byte[] key, byte[] value) {
        lock.lock();
        try {
            queues.computeIfAbsent(ByteBuffer.wrap(key), k -> new ArrayDeque<>()).addLast(value);
            sent.signalAll(); // receivers may wait on different keys
        } finally {
            lock.unlock();
        }
    }

    /** Empties the queue of {@code key}; returns how many values it held. */
    int clear(byte[] key) {
        lock.lock();
        try {
            ArrayDeque<byte[]> queue = queues.remove(ByteBuffer.wrap(key));
            return queue == null ? 0 : queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the first value of the first of {@code keys} that has one, into {@code buffer}, waiting up to
     * {@code nanos} for one. Returns the value's length, with the key's number (from 1) in {@code out[0]}; or
     * {@code -TIMEOUT}; or {@code -TOO_SMALL} with the length needed in {@code out[0]} and the time left in
     * {@code out[1]} (seconds, -1 for none), the value staying where it was.
     */
    long receiveInto(byte[][] keys, MemorySegment buffer, long nanos, MemorySegment out) throws InterruptedException {
        ByteBuffer[] wrapped = new ByteBuffer[keys.length];
        for (int i = 0; i < keys.length; i++) {
            wrapped[i] = ByteBuffer.wrap(keys[i]);
        }
        lock.lockInterruptibly();
        try {
            while (true) {
                for (int i = 0; i < wrapped.length; i++) {
                    ArrayDeque<byte[]> queue = queues.get(wrapped[i]);
                    if (queue == null) {
                        continue;
                    }
                    byte[] first = queue.peekFirst();
                    if (first.length > buffer.byteSize()) {
                        out.set(JAVA_DOUBLE, 0, first.length);
                        out.set(JAVA_DOUBLE, 8, nanos == FOREVER ? -1 : Math.max(nanos, 0) / 1e9);
                        return -TOO_SMALL;
                    }
                    MemorySegment.copy(first, 0, buffer, JAVA_BYTE, 0, first.length);
                    queue.pollFirst();
                    if (queue.isEmpty()) {
                        queues.remove(wrapped[i]); // a key once used holds no memory when drained
                    }
                    out.set(JAVA_DOUBLE, 0, i + 1);
                    return first.length;
                }
                if (nanos <= 0) {
                    return -TIMEOUT;
                }
                if (nanos == FOREVER) {
                    sent.await();
                } else {
                    nanos = sent.awaitNanos(nanos);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The number of values waiting under {@code key}. */
    int size(byte[] key) {
        lock.lock();
        try {
            ArrayDeque<byte[]> queue = queues.get(ByteBuffer.wrap(key));
            return queue == null ? 0 : queue.size();
        } finally {
            lock.unlock();
        }
    }
}
