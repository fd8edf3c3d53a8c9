package dev.ljasync.internal.values;

import dev.ljasync.LuaTable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The tables of {@link JavaValues}: a Lua table copied to a {@link LuaTable}, and a Java Map, List or array pushed as
 * a new table, each with its shared parts and cycles kept and its nesting bounded. Used by the thread holding the
 * state, one object per conversion.
 */
final class TableCopies {

    private TableCopies() {}

    /** A copy of one table (and those it holds) to Java: each Lua table once, by its address. */
    /** From this length on, a table of numbers alone is read in one call (see {@link JavaValues.Bridge#numbers}). */
    private static final long NUMBERS_AT_ONCE = 32;

    static final class Copy {
        private final JavaValues values;
        private final MemorySegment L;
        private final Map<Long, LuaTable> copied = new HashMap<>();

        Copy(JavaValues values, MemorySegment L) {
            this.values = values;
            this.L = L;
        }

        // numbers and strings here, the commonest values of a table; anything else by the one rule
        private Object value(int idx, int depth) {
            int type = lua_type(L, idx);
            return type == LUA_TNUMBER ? JavaValues.number(lua_tonumber(L, idx))
                    : type == LUA_TSTRING ? values.string(values.bytes(L, idx))
                    : type == LUA_TTABLE ? table(idx, depth) : values.toJava(L, idx);
        }

        /** Fills {@code table} from a table of numbers alone, and says so; false (and nothing put) otherwise. */
        private boolean numbers(int idx, long length, LuaTable table) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment doubles = arena.allocate(JAVA_DOUBLE, length);
                if (!values.bridge.numbers(L, idx, length, doubles)) {
                    return false;
                }
                for (long i = 0; i < length; i++) {
                    table.put(i + 1, JavaValues.number(doubles.getAtIndex(JAVA_DOUBLE, i)));
                }
                return true;
            }
        }

        LuaTable table(int idx, int depth) {
            long address = lua_topointer(L, idx);
            LuaTable table = copied.get(address);
            if (table != null) {
                return table;
            }
            if (depth >= JavaValues.MAX_DEPTH) {
                throw new Nested("nests tables more than " + JavaValues.MAX_DEPTH + " deep, the most a copy holds; hold the"
                        + " outer table as a LuaValue and read it in parts");
            }
            if (!lua_checkstack(L, 3)) {
                throw new IllegalArgumentException("the Lua stack is full");
            }
            long length = lua_objlen(L, idx);
            table = new LuaTable((int) Math.min(length, 1 << 20));
            copied.put(address, table);
            if (length >= NUMBERS_AT_ONCE && length <= 1 << 24 && numbers(idx, length, table)) {
                return table;
            }
            int top = lua_gettop(L);
            int key = top + 1, value = top + 2;
            lua_pushnil(L);
            try {
                while (lua_next(L, idx) != 0) {
                    Object k = value(key, depth + 1);
                    try {
                        table.put(k, value(value, depth + 1));
                    } catch (Nested e) {
                        throw e.within(k);
                    }
                    lua_settop(L, key); // the key, for next
                }
            } finally {
                lua_settop(L, top);
            }
            return table;
        }
    }

    /**
     * A table nested too deep to copy, with the keys that lead to it gathered as it unwinds (so that a copy keeps
     * no path while it runs); its message names the place, as {@code value.jobs[2]}.
     */
    static final class Nested extends IllegalArgumentException {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
        private final transient ArrayDeque<Object> path = new ArrayDeque<>();
        private final String problem;

        Nested(String problem) {
            super(problem);
            this.problem = problem;
        }

        Nested within(Object key) {
            path.addFirst(key);
            return this;
        }

        @Override
        public String getMessage() {
            return Messages.place(new ArrayList<>(path)) + " " + problem;
        }
    }

    /** A push of one Java table (and those it holds) to Lua: each Map, List or array once, by identity. */
    static final class Tables {
        private final JavaValues values;
        private final MemorySegment L;
        // the Lua tables made so far sit in a memo table below them; `made` maps each Java table to its number
        private final Map<Object, Integer> made = new IdentityHashMap<>();
        private final List<Object> keys = new ArrayList<>();
        private int memo;

        Tables(JavaValues values, MemorySegment L) {
            this.values = values;
            this.L = L;
        }

        static boolean isTable(Object value) {
            return value instanceof Map<?, ?> || value instanceof List<?>
                    || (value.getClass().isArray() && !(value instanceof byte[]));
        }

        void push(Object table, int depth) {
            Integer number = made.get(table);
            if (number != null) {
                lua_rawgeti(L, memo, number);
                return;
            }
            if (depth >= JavaValues.MAX_DEPTH) {
                throw refuse("nests tables more than " + JavaValues.MAX_DEPTH + " deep, the most a copy holds");
            }
            if (!lua_checkstack(L, 4)) {
                throw refuse("nests tables deeper than the Lua stack has room for");
            }
            if (memo == 0) {
                lua_createtable(L, 0, 0);
                memo = lua_gettop(L);
            }
            switch (table) {
                case Map<?, ?> map -> {
                    lua_createtable(L, 0, map.size());
                    remember(table);
                    // Strings alone cannot clash (a Map holds each once): check keys only in a map of other keys
                    Map<Object, Object> luaKeys = onlyStrings(map) ? null : new HashMap<>();
                    for (Map.Entry<?, ?> entry : map.entrySet()) {
                        Object key = entry.getKey();
                        if (luaKeys != null) {
                            checkKey(key, luaKeys);
                        }
                        if (entry.getValue() != null) {
                            keys.add(key);
                            element(key, depth);
                            element(entry.getValue(), depth);
                            keys.removeLast();
                            lua_rawset(L, -3);
                        }
                    }
                }
                case List<?> list -> {
                    lua_createtable(L, list.size(), 0);
                    remember(table);
                    int i = 0;
                    for (Object element : list) {
                        item(++i, element, depth);
                    }
                }
                default -> { // an array, not byte[] (a string)
                    int n = Array.getLength(table);
                    lua_createtable(L, n, 0);
                    remember(table);
                    for (int i = 0; i < n; i++) {
                        item(i + 1, Array.get(table, i), depth);
                    }
                }
            }
        }

        private static boolean onlyStrings(Map<?, ?> map) {
            for (Object key : map.keySet()) {
                if (!(key instanceof String)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Refuses a key Lua tables cannot have (nil, NaN, an integer beyond 2^53) and two keys that are one in Lua
         * (1, 1L and 1.0; "A" and the bytes {65}); any other object is a key as its Lua value is.
         */
        private void checkKey(Object key, Map<Object, Object> luaKeys) {
            if (key != null && (isTable(key) || !Messages.Writer.isScalar(key))) {
                return;
            }
            String problem = Messages.Writer.keyProblem(key);
            if (problem != null) {
                throw refuse(problem);
            }
            Object other = luaKeys.putIfAbsent(Messages.Writer.luaKey(key), key);
            if (other != null) {
                throw refuse("has keys " + Messages.Writer.describe(other) + " and " + Messages.Writer.describe(key)
                        + ", which are one key in Lua (one value would silently replace the other)");
            }
        }

        private void remember(Object table) {
            int number = made.size() + 1;
            made.put(table, number);
            lua_pushvalue(L, -1);
            lua_rawseti(L, memo, number);
        }

        private void item(int index, Object element, int depth) {
            if (element != null) {
                keys.add((long) index);
                element(element, depth);
                keys.removeLast();
                lua_rawseti(L, -2, index);
            }
        }

        private void element(Object value, int depth) {
            if (value != null && isTable(value)) {
                push(value, depth + 1);
                return;
            }
            try {
                values.push(L, value);
            } catch (IllegalArgumentException e) {
                throw refuse("is " + e.getMessage());
            }
        }

        private IllegalArgumentException refuse(String problem) {
            return new IllegalArgumentException(Messages.place(keys) + " " + problem);
        }
    }
}
