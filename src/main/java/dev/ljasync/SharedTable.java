package dev.ljasync;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SharedMap;
import dev.ljasync.internal.values.MessageScalars;
import dev.ljasync.internal.values.Messages;

import java.util.Map;

/**
 * A table of Lua values shared by Java and every {@code lua_State} of the library: effil's {@code effil.table}, a
 * Lanes linda's {@code set}/{@code get}. Thread-safe, and every operation is atomic: {@link #increment} from any
 * number of threads and states loses no count, {@link #compareAndSet} changes a value only if it is the one
 * expected, and a {@link #snapshot} is the pairs of one moment.
 *
 * <pre>{@code
 * SharedTable stats = new SharedTable();
 * LuaThread worker = LuaThread.spawn("""
 *         local stats = require("ljasync.sync").wrap(...)
 *         return function()
 *           for _ = 1, 1000 do stats:increment("jobs") end
 *           stats:set("last", {by = "lua", at = os.time()})
 *         end""", stats);
 * stats.increment("jobs", 1000);
 * worker.join();
 * long jobs = (Long) stats.get("jobs"); // 2000
 * }</pre>
 *
 * <h2>Keys and values</h2>
 * Keys are strings, booleans and numbers (from Java: String, byte[], Boolean, and numbers within ±2^53; 1, 1L and
 * 1.0 are one key, as in Lua, and so are "A" and {@code byte[] {65}}). Values are what a {@link Channel} carries,
 * copied in and out by the same rule: a table is stored as a copy and each {@link #get} gives a new copy; nil (null)
 * is no value, and setting it removes the key.
 *
 * <h2>In Lua</h2>
 * {@code local sync = require("ljasync.sync")}; {@code sync.table()} makes one, and {@code sync.wrap(handle)} wraps
 * one passed as an argument (it arrives as its {@link #handle()}). Methods: {@code t:get(k)}, {@code t:set(k, v)},
 * {@code t:cas(k, old, new)} (true when set), {@code t:increment(k [, by])} (the new number), {@code t:snapshot()}
 * (a new plain table of every pair), {@code t:size()}, {@code t:clear()}, {@code t:handle()}.
 *
 * <h2>Lifetime</h2>
 * As for {@link Mutex}: while this object, another one for the same handle, or a Lua wrapper of it exists; when the
 * last goes, the pairs are dropped. There is nothing to close.
 */
public final class SharedTable {

    private final SharedMap shared;

    /** A new, empty table. */
    public SharedTable() {
        this(SharedMap.create());
    }

    private SharedTable(SharedMap shared) {
        this.shared = shared;
        shared.releaseWhenUnreachable(this);
    }

    /**
     * The table a handle names, made by Java or by Lua ({@code t:handle()}); a new Java object for it.
     *
     * @param handle the table's {@link #handle()}
     * @return a new {@code SharedTable} for that table, equal to every other one for it
     * @throws IllegalArgumentException when no live shared table has this handle
     */
    public static SharedTable fromHandle(long handle) {
        return new SharedTable(Shared.retain(handle, SharedMap.class, Shared.Kind.TABLE));
    }

    /**
     * The number that names this table in every state: pass it (or this object) to Lua and wrap it there.
     *
     * @return the handle, a positive integer exact as a Lua number
     */
    public long handle() {
        return shared.handle();
    }

    /**
     * The value at a key, a copy.
     *
     * @param key a String, byte[], Boolean or number
     * @return the value as the conversion rule gives it (a number as Long or Double, a table as a {@link LuaTable}),
     *         or null when the key has none
     * @throws IllegalArgumentException when {@code key} is not a key
     */
    public Object get(Object key) {
        byte[] value = shared.get(key(key));
        return value == null ? null : Messages.decode(value);
    }

    /**
     * Sets the value at a key, copying it in.
     *
     * @param key   a String, byte[], Boolean or number
     * @param value the value; null removes the key
     * @throws IllegalArgumentException when {@code key} is not a key, or the value cannot cross (as for a
     *                                  {@link Channel}); nothing changes then
     */
    public void set(Object key, Object value) {
        String k = key(key);
        shared.put(k, Messages.encode(value));
    }

    /**
     * Removes a key.
     *
     * @param key a String, byte[], Boolean or number
     * @return the value it had, or null when none
     * @throws IllegalArgumentException when {@code key} is not a key
     */
    public Object remove(Object key) {
        byte[] old = shared.put(key(key), Messages.encode(null));
        return old == null ? null : Messages.decode(old);
    }

    /**
     * Sets the value at a key to {@code value} if it holds {@code expected} now, atomically. Values compare as Lua's
     * {@code rawequal} does: numbers by value (1, 1L and 1.0 are equal), strings by their bytes, a 64-bit integer
     * by type and value.
     *
     * @param key      a String, byte[], Boolean or number
     * @param expected the value it must hold: null (no value), a Boolean, a number or a String (byte[]); not a table
     * @param value    the new value; null removes the key
     * @return true when set, false when the key held something else (nothing changes then)
     * @throws IllegalArgumentException when {@code key} is not a key, {@code expected} is a table, or
     *                                  {@code value} cannot cross
     */
    public boolean compareAndSet(Object key, Object expected, Object value) {
        String k = key(key);
        byte[] old = Messages.encode(expected);
        MessageScalars.length(old, 0, old.length); // a scalar, or refused
        return shared.compareAndSet(k, old, Messages.encode(value));
    }

    /**
     * Adds {@code by} to the number at a key, atomically; a key with no value counts as 0. Exact while the numbers
     * stay within ±2^53, as a Lua number is.
     *
     * @param key a String, byte[], Boolean or number
     * @param by  the amount to add, within ±2^53
     * @return the new number
     * @throws IllegalArgumentException when {@code key} is not a key, {@code by} is beyond ±2^53, or the key holds
     *                                  something other than a whole number (a string, a fraction), or the sum would
     *                                  pass ±2^53; nothing changes then
     */
    public long increment(Object key, long by) {
        if (Math.abs(by) > 1L << 53) {
            throw new IllegalArgumentException("an increment of " + by + " is beyond \u00b12^53, where Lua numbers stop"
                    + " being exact");
        }
        return (long) shared.add(key(key), by, true);
    }

    /**
     * Every pair of one moment, copied.
     *
     * @return a new table of the pairs, keys and values converted as for {@link #get}, in the order the keys were
     *         first set
     */
    public LuaTable snapshot() {
        var pairs = shared.snapshot();
        LuaTable copy = new LuaTable(pairs.size());
        for (Map.Entry<String, byte[]> pair : pairs) {
            copy.put(Messages.decode(SharedMap.message(pair.getKey())), Messages.decode(pair.getValue()));
        }
        return copy;
    }

    /**
     * The number of keys that hold a value.
     *
     * @return the count of this moment
     */
    public int size() {
        return shared.size();
    }

    /** Removes every pair. */
    public void clear() {
        shared.clear();
    }

    private static String key(Object key) {
        return SharedMap.javaKey(key);
    }

    /** Equal when both name the same table. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SharedTable other && other.shared == shared;
    }

    /** A hash of the handle, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Long.hashCode(handle());
    }

    /** The handle and the size, for logs. */
    @Override
    public String toString() {
        return "SharedTable[" + handle() + ", " + size() + " keys]";
    }
}
