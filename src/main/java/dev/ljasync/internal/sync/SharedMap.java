package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.MessageScalars;
import dev.ljasync.internal.values.Messages;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

/**
 * The pairs behind a shared table: keys and values as encoded messages ({@link Messages}), in the order the keys
 * were first set. Thread-safe, and every operation is atomic; a snapshot is the pairs of one moment.
 *
 * <p>A key is held as the ISO-8859-1 string of its message, one char per byte: a String compares and hashes by
 * content, which is what the message bytes of a key need (key messages are canonical, see
 * {@link MessageScalars#key}). A number that has been incremented is held as a counter (the bits of its double in an
 * {@link AtomicLong}), which increments change with a compare-and-set under the read lock: increments of one key
 * from many threads never wait for each other (with a lock, four threads counting on two cores spent most of their
 * time parking and waking each other). Everything else that changes the map, and a snapshot, holds the write lock.
 */
public final class SharedMap extends Shared {

    private final LinkedHashMap<String, Object> pairs = new LinkedHashMap<>(); // a message (byte[]) or a counter
    private final StampedLock lock = new StampedLock();

    private SharedMap() {}

    /** A new, empty table in the registry, with its creator's reference. */
    public static SharedMap create() {
        return register(new SharedMap());
    }

    @Override
    public Kind kind() {
        return Kind.TABLE;
    }

    /**
     * The key of a key message, checked and made canonical.
     *
     * @throws IllegalArgumentException when the message is not a key
     */
    public static String key(byte[] message) {
        return new String(MessageScalars.key(message), ISO_8859_1);
    }

    /**
     * The key of a Java key ({@link MessageScalars#key(Object)}).
     *
     * @throws IllegalArgumentException when the value is not a key
     */
    public static String javaKey(Object key) {
        return new String(MessageScalars.key(key), ISO_8859_1);
    }

    /** The message of a key made by {@link #key}. */
    public static byte[] message(String key) {
        return key.getBytes(ISO_8859_1);
    }

    private static byte[] message(Object held) {
        return held instanceof AtomicLong counter ? MessageScalars.number(Double.longBitsToDouble(counter.get()))
                : (byte[]) held;
    }

    /** The value at a key, or null for none. */
    public byte[] get(String key) {
        long stamp = lock.readLock();
        try {
            return message(pairs.get(key));
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Sets the value at a key; nil removes it.
     *
     * @return the value it had, or null for none
     */
    public byte[] put(String key, byte[] value) {
        boolean nil = MessageScalars.isNil(value);
        long stamp = lock.writeLock();
        try {
            return message(nil ? pairs.remove(key) : pairs.put(key, value));
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Sets the value at a key to {@code value} if it is {@code expected} now ({@link MessageScalars#same}; nil: no
     * value).
     *
     * @param expected a scalar message
     * @return whether it was set
     */
    public boolean compareAndSet(String key, byte[] expected, byte[] value) {
        boolean nil = MessageScalars.isNil(value);
        long stamp = lock.writeLock();
        try {
            if (!MessageScalars.same(message(pairs.get(key)), expected)) {
                return false;
            }
            if (nil) {
                pairs.remove(key);
            } else {
                pairs.put(key, value);
            }
            return true;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Adds {@code by} to the number at a key (none counts as 0).
     *
     * @param whole whether the number held and the sum must be whole numbers within ±2^53 (Java's long increment)
     * @return the new number
     * @throws IllegalArgumentException when the key holds something other than a number, or {@code whole} is not
     *                                  kept; nothing changes then
     */
    public double add(String key, double by, boolean whole) {
        long stamp = lock.readLock();
        try {
            if (pairs.get(key) instanceof AtomicLong counter) {
                return add(counter, key, by, whole);
            }
        } finally {
            lock.unlockRead(stamp);
        }
        stamp = lock.writeLock(); // the first increment: make the counter
        try {
            Object held = pairs.get(key);
            if (held instanceof AtomicLong counter) {
                return add(counter, key, by, whole);
            }
            if (held != null && !MessageScalars.isNumber((byte[]) held)) {
                throw new IllegalArgumentException("cannot increment " + describe(key) + ": it holds "
                        + MessageScalars.kind((byte[]) held) + ", not a number");
            }
            AtomicLong counter = new AtomicLong(Double.doubleToRawLongBits(held == null ? 0
                    : MessageScalars.number((byte[]) held)));
            double sum = add(counter, key, by, whole);
            pairs.put(key, counter);
            return sum;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private static double add(AtomicLong counter, String key, double by, boolean whole) {
        while (true) {
            long bits = counter.get();
            double number = Double.longBitsToDouble(bits), sum = number + by;
            if (whole && !(isWhole(number) && isWhole(sum))) {
                throw new IllegalArgumentException("cannot increment " + describe(key) + " by " + (long) by + ": it"
                        + " holds " + number + ", and a long increment needs whole numbers within \u00b12^53");
            }
            if (counter.compareAndSet(bits, Double.doubleToRawLongBits(sum))) {
                return sum;
            }
        }
    }

    private static boolean isWhole(double d) {
        return d == Math.rint(d) && Math.abs(d) <= 0x1p53;
    }

    /** The pairs of this moment, keys (as {@link #key} makes them) to values, in the table's order. */
    public List<Map.Entry<String, byte[]>> snapshot() {
        long stamp = lock.writeLock(); // the read lock would let increments run
        try {
            List<Map.Entry<String, byte[]>> copy = new ArrayList<>(pairs.size());
            for (Map.Entry<String, Object> pair : pairs.entrySet()) {
                copy.add(Map.entry(pair.getKey(), message(pair.getValue())));
            }
            return copy;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** The number of keys that hold a value. */
    public int size() {
        long stamp = lock.readLock();
        try {
            return pairs.size();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Removes every pair. */
    public void clear() {
        long stamp = lock.writeLock();
        try {
            pairs.clear();
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** A key as an error names it: {@code key "hits"}, {@code key 3}. */
    public static String describe(String key) {
        Object k = Messages.decode(message(key));
        return "key " + (k instanceof String s ? "\"" + s + "\"" : k instanceof byte[] ? "(bytes)" : String.valueOf(k));
    }

    @Override
    void dropped() {
        clear();
    }

    @Override
    public String toString() {
        return super.toString() + " (" + size() + " keys)";
    }
}
