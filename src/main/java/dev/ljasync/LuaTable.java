package dev.ljasync;

import java.io.Serial;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A copy of a Lua table: its pairs in the order Lua's {@code next} gave them, keys and values converted by the
 * library's one rule (see "Values" in the README), so an integral key is a {@link Long}. Every table that crosses to
 * Java as a copy is one: a result of {@link LuaState#run}, an argument of a {@link JavaFunction}, a channel message.
 * A table that a copy holds in several places, or that holds itself, is one {@code LuaTable} held in the same
 * places. It is an ordinary mutable {@link LinkedHashMap}, no longer tied to the state: changing it changes nothing
 * in Lua (for that, hold a {@link LuaValue}).
 *
 * <p>A table whose keys are exactly 1, 2, ..., n is a sequence, as Lua's length operator and {@code ipairs} see it;
 * {@link #toList()} gives its values as a {@link List}. An empty table is the empty sequence.
 */
public final class LuaTable extends LinkedHashMap<Object, Object> {

    @Serial
    private static final long serialVersionUID = 1L;

    // The tables whose toString or hashCode runs on this thread, and the pairs being compared: a table that holds
    // itself (a copy keeps Lua's cycles) would otherwise recurse until the stack overflows.
    private static final ThreadLocal<Set<LuaTable>> VISITING = ThreadLocal.withInitial(
            () -> Collections.newSetFromMap(new IdentityHashMap<>()));
    private static final ThreadLocal<List<Object[]>> COMPARING = ThreadLocal.withInitial(ArrayList::new);

    /** An empty table. */
    public LuaTable() {}

    /**
     * An empty table with room for {@code pairs} pairs.
     *
     * @param pairs the number of pairs expected
     */
    public LuaTable(int pairs) {
        super(Math.max(16, (int) Math.min(1L << 30, (long) pairs * 4 / 3 + 1)));
    }

    /**
     * A table with the pairs of {@code map}, in its order.
     *
     * @param map the pairs
     */
    public LuaTable(Map<?, ?> map) {
        super(map);
    }

    /**
     * As a map's, with a table met again inside itself shown as {@code (cycle)}.
     *
     * @return the pairs as text
     */
    @Override
    public String toString() {
        Set<LuaTable> visiting = VISITING.get();
        if (!visiting.add(this)) {
            return "(cycle)";
        }
        try {
            return super.toString();
        } finally {
            visiting.remove(this);
        }
    }

    /**
     * As a map's, with a table met again inside itself counted as 0, so that a cyclic table has a hash code.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        Set<LuaTable> visiting = VISITING.get();
        if (!visiting.add(this)) {
            return 0;
        }
        try {
            return super.hashCode();
        } finally {
            visiting.remove(this);
        }
    }

    /**
     * As a map's: the same pairs. Two cyclic tables are equal when no difference is found on the way round their
     * cycles (a pair met again while it is being compared is taken as equal).
     *
     * @param other the object to compare with
     * @return whether it is a map with the same pairs
     */
    @Override
    public boolean equals(Object other) {
        if (other == this) {
            return true;
        }
        List<Object[]> comparing = COMPARING.get();
        for (Object[] pair : comparing) {
            if (pair[0] == this && pair[1] == other) {
                return true;
            }
        }
        comparing.add(new Object[] {this, other});
        try {
            return super.equals(other);
        } finally {
            comparing.removeLast();
        }
    }

    /**
     * Whether the keys are exactly the Longs 1 to {@link #size()}: what Lua calls a sequence.
     *
     * @return true for a sequence, the empty table included
     */
    public boolean isSequence() {
        int n = size();
        for (long i = 1; i <= n; i++) {
            if (!containsKey(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The values at keys 1 to n of a sequence, in order, as a new mutable list.
     *
     * @return the values, a copy
     * @throws IllegalStateException when the table is not a sequence, naming the first key missing or extra
     */
    public List<Object> toList() {
        int n = size();
        List<Object> list = new ArrayList<>(n);
        for (long i = 1; i <= n; i++) {
            Object value = get(i);
            if (value == null && !containsKey(i)) {
                Object extra = keySet().stream().filter(k -> !(k instanceof Long l && l >= 1 && l <= n)).findFirst()
                        .orElse(null);
                throw new IllegalStateException("this table is not a sequence (keys 1 to " + n + "): it has no key "
                        + i + (extra == null ? "" : " but has key " + (extra instanceof String s ? "\"" + s + "\""
                        : extra)) + "; read it as a Map");
            }
            list.add(value);
        }
        return list;
    }
}
