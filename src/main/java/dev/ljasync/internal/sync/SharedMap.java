package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.MessageScalars;
import dev.ljasync.internal.values.Messages;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

/**
 * The pairs behind a shared table: keys and values as encoded messages ({@link Messages}), in the order the keys
 * were first set. Thread-safe: one lock, held only to read or change the map (never while a value is encoded or
 * decoded), so every operation is atomic and a snapshot is the pairs of one moment.
 *
 * <p>A key is held as the ISO-8859-1 string of its message, one char per byte: a String compares and hashes by
 * content, which is what the message bytes of a key need (the key messages are canonical, see
 * {@link MessageScalars#key}).
 */
public final class SharedMap extends Shared {

    private final LinkedHashMap<String, byte[]> pairs = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();

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

    /** The message of a key made by {@link #key}. */
    public static byte[] message(String key) {
        return key.getBytes(ISO_8859_1);
    }

    /** The value at a key, or null for none. */
    public byte[] get(String key) {
        lock.lock();
        try {
            return pairs.get(key);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the value at a key; nil removes it.
     *
     * @return the value it had, or null for none
     */
    public byte[] put(String key, byte[] value) {
        boolean nil = MessageScalars.isNil(value);
        lock.lock();
        try {
            return nil ? pairs.remove(key) : pairs.put(key, value);
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            if (!MessageScalars.same(pairs.get(key), expected)) {
                return false;
            }
            if (nil) {
                pairs.remove(key);
            } else {
                pairs.put(key, value);
            }
            return true;
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            byte[] held = pairs.get(key);
            if (held != null && !MessageScalars.isNumber(held)) {
                throw new IllegalArgumentException("cannot increment " + describe(key) + ": it holds "
                        + MessageScalars.kind(held) + ", not a number");
            }
            double number = held == null ? 0 : MessageScalars.number(held), sum = number + by;
            if (whole && !(isWhole(number) && isWhole(sum))) {
                throw new IllegalArgumentException("cannot increment " + describe(key) + " by " + (long) by + ": it"
                        + " holds " + number + ", and a long increment needs whole numbers within \u00b12^53");
            }
            pairs.put(key, MessageScalars.number(sum));
            return sum;
        } finally {
            lock.unlock();
        }
    }

    private static boolean isWhole(double d) {
        return d == Math.rint(d) && Math.abs(d) <= 0x1p53;
    }

    /** The pairs of this moment, keys (as {@link #key} makes them) to values, in the table's order. */
    public List<Map.Entry<String, byte[]>> snapshot() {
        lock.lock();
        try {
            List<Map.Entry<String, byte[]>> copy = new ArrayList<>(pairs.size());
            for (Map.Entry<String, byte[]> pair : pairs.entrySet()) {
                copy.add(Map.entry(pair.getKey(), pair.getValue()));
            }
            return copy;
        } finally {
            lock.unlock();
        }
    }

    /** The number of keys that hold a value. */
    public int size() {
        lock.lock();
        try {
            return pairs.size();
        } finally {
            lock.unlock();
        }
    }

    /** Removes every pair. */
    public void clear() {
        lock.lock();
        try {
            pairs.clear();
        } finally {
            lock.unlock();
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
