package dev.ljasync;

import java.io.Serial;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
