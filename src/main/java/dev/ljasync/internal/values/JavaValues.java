package dev.ljasync.internal.values;

import dev.ljasync.internal.lua.LuaNative;

import dev.ljasync.LuaTable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Converts between Java objects and values on a Lua stack: the one place that decides how each Java type looks in
 * Lua and back, by the rule documented in the README's "Values" (and on {@link dev.ljasync.LuaState}). What the
 * public API adds to the rule (its sync objects, references to Lua values) comes through a {@link Bridge}. One
 * instance per state, used only by the thread that holds the state's lock; reentrant (a {@code __gc} finalizer that
 * calls a Java function may convert values while a conversion runs).
 */
public final class JavaValues {

    /** LuaJIT (GC64) keeps light userdata addresses in 47 bits. */
    private static final long LIGHT_USERDATA_LIMIT = 1L << 47;
    // Where a pushed string is copied on its way to Lua: per state, so 1 KB (names, keys and short text; a longer
    // string takes memory of its own), not a page of every state's
    private static final long SCRATCH_BYTES = 1024;
    private static final long EXACT = 1L << 53;
    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    /** The deepest nesting of tables a copy may have, either way (as for a channel message). */
    public static final int MAX_DEPTH = Messages.MAX_DEPTH;

    /** What the public API adds to the conversion rule. Its methods hold the state's lock, as the caller does. */
    public interface Bridge {
        /**
         * Pushes {@code value} when it is an object of the API that stands for a Lua value (a reference to one of
         * this state's values, a sync object's handle); returns false, pushing nothing, for any other object.
         *
         * @throws IllegalArgumentException when it is such an object but cannot be pushed here (another state's)
         */
        boolean push(MemorySegment L, Object value);

        /** The Java object for the function, coroutine, userdata or cdata at absolute index {@code idx}. */
        Object reference(MemorySegment L, int idx, int type);

        /**
         * The Long (or BigInteger) of the {@code int64_t} or {@code uint64_t} cdata at absolute index {@code idx},
         * or null for another cdata.
         */
        Object integer(MemorySegment L, int idx);

        /**
         * Whether the table at absolute index {@code idx} is exactly the sequence of {@code n} numbers, with no other
         * key; if so, the numbers are written as doubles to {@code into} ({@code n * 8} bytes).
         */
        boolean numbers(MemorySegment L, int idx, long n, MemorySegment into);

        /**
         * Pushes an {@code int64_t} cdata (a {@code uint64_t} one when {@code unsigned}) with these bits.
         *
         * @throws IllegalArgumentException when the state cannot make one (it has no FFI)
         */
        void pushInteger(MemorySegment L, long bits, boolean unsigned);

        /**
         * A Java object implementing {@code interfaces} with the Lua function or table that {@code implementation}
         * (one of {@link #reference}'s) refers to, as {@code LuaValue.proxy} makes one.
         *
         * @throws IllegalArgumentException when it cannot implement them, saying why
         */
        Object proxy(Object implementation, Class<?>[] interfaces);
    }

    /** A bridge for states without the public API's objects: every such object and every reference is refused. */
    private static final Bridge NONE = new Bridge() {
        public boolean push(MemorySegment L, Object value) {
            return false;
        }

        public Object reference(MemorySegment L, int idx, int type) {
            throw new IllegalArgumentException("a " + typeName(type) + " cannot be held here");
        }

        public Object integer(MemorySegment L, int idx) {
            return null;
        }

        public boolean numbers(MemorySegment L, int idx, long n, MemorySegment into) {
            return false;
        }

        public void pushInteger(MemorySegment L, long bits, boolean unsigned) {
            throw new IllegalArgumentException("an int64_t cannot be made here");
        }

        public Object proxy(Object implementation, Class<?>[] interfaces) {
            throw new IllegalArgumentException("no Lua value can implement an interface here");
        }
    };

    private final MemorySegment scratch;
    private final MemorySegment length;
    private final CharsetDecoder utf8 = utf8Decoder();
    Bridge bridge = NONE;
    private final JavaObjects objects = new JavaObjects(this);

    /** Scratch memory comes from {@code arena}, which must outlive this object. */
    public JavaValues(Arena arena) {
        this.scratch = arena.allocate(SCRATCH_BYTES, 8);
        this.length = arena.allocate(JAVA_LONG);
    }

    /** Sets the bridge to the public API's objects; once, as the state is opened. */
    public void bridge(Bridge bridge) {
        this.bridge = bridge;
    }

    /**
     * Pushes {@code value}. The caller has made room for one value on the stack and paused the collector
     * ({@link LuaNative#gcPause}); a table takes the room it needs itself.
     *
     * @throws IllegalArgumentException if the value has no Lua form, naming the part that has none; the stack is
     *                                  as it was then
     */
    public void push(MemorySegment L, Object value) {
        switch (value) {
            case null -> lua_pushnil(L);
            case Boolean b -> lua_pushboolean(L, b);
            case Long l -> pushLong(L, l);
            case Integer i -> lua_pushnumber(L, i);
            case Short s -> lua_pushnumber(L, s);
            case Byte b -> lua_pushnumber(L, b);
            case Double d -> lua_pushnumber(L, d);
            case Float f -> lua_pushnumber(L, f);
            case String s -> pushBytes(L, utf8(s));
            case Character c -> pushBytes(L, utf8(c.toString()));
            case byte[] bytes -> pushBytes(L, bytes);
            case MemorySegment segment -> lua_pushlightuserdata(L, lightUserdata(segment));
            case BigInteger big -> pushBig(L, big);
            default -> {
                if (TableCopies.Tables.isTable(value)) {
                    int top = lua_gettop(L);
                    try {
                        new TableCopies.Tables(this, L).push(value, 0);
                    } catch (RuntimeException | Error e) {
                        lua_settop(L, top);
                        throw e;
                    }
                    lua_replace(L, top + 1); // the table, in the place of the memo of tables below it
                } else if (!bridge.push(L, value)) {
                    objects.push(L, value); // any other object: a userdata that comes back as the object
                }
            }
        }
    }

    /**
     * The Java value at {@code idx}, by the one rule: tables copied (as {@code LuaTable}s), functions, coroutines,
     * userdata and cdata other than 64-bit integers as the bridge's references.
     *
     * @throws IllegalArgumentException for a table nested too deep, naming where
     */
    public Object toJava(MemorySegment L, int idx) {
        int type = lua_type(L, idx);
        if (type == LUA_TNIL || type == LUA_TNONE) return null;
        if (type == LUA_TBOOLEAN) return lua_toboolean(L, idx);
        if (type == LUA_TNUMBER) return number(lua_tonumber(L, idx));
        if (type == LUA_TSTRING) return string(bytes(L, idx));
        // zero-length, as a pointer from C is: reading or writing through it takes a deliberate reinterpret
        if (type == LUA_TLIGHTUSERDATA) return MemorySegment.ofAddress(lua_touserdata(L, idx).address());
        if (type == LUA_TUSERDATA) {
            Object object = objects.object(L, idx);
            if (object != JavaObjects.NOT_AN_OBJECT) return object;
        }
        int at = idx > 0 || idx <= LUA_REGISTRYINDEX ? idx : lua_gettop(L) + idx + 1;
        return type == LUA_TTABLE ? new TableCopies.Copy(this, L).table(at, 0) : other(L, at, type);
    }

    private Object other(MemorySegment L, int idx, int type) {
        if (type == LUA_TCDATA) {
            Object integer = bridge.integer(L, idx);
            if (integer != null) {
                return integer;
            }
        }
        return bridge.reference(L, idx, type);
    }


    /** The Java objects that this state's userdata hold. */
    public JavaObjects objects() {
        return objects;
    }

    /** The bytes of the string at {@code idx}, which must be a string (not a number: that would convert in place). */
    public byte[] bytes(MemorySegment L, int idx) {
        MemorySegment chars = lua_tolstring(L, idx, length);
        long size = length.get(JAVA_LONG, 0);
        return chars.reinterpret(size).toArray(JAVA_BYTE);
    }

    /** Lua's name for a type code, as {@code type()} gives it. */
    public static String typeName(int type) {
        return switch (type) {
            case -1 -> "no value";
            case 0 -> "nil";
            case 1 -> "boolean";
            case 2 -> "light userdata";
            case 3 -> "number";
            case 4 -> "string";
            case 5 -> "table";
            case 6 -> "function";
            case 7 -> "userdata";
            case 8 -> "thread";
            case 10 -> "cdata";
            default -> "value of type " + type;
        };
    }

    /**
     * Whether {@link #push} pushes each of {@code values} without allocating and without running Java code: nil,
     * booleans and boxed numbers. Such pushes need no pause of the collector, only room on the stack.
     */
    public static boolean allPlain(Object[] values) {
        for (Object value : values) {
            if (!isPlain(value)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code value} is pushed without running Lua code or Java code, as {@link #allPlain}. */
    public static boolean isPlain(Object value) {
        // a long beyond 2^53 is an int64_t cdata, made by Lua code
        return value == null || (value instanceof Long l && l >= -EXACT && l <= EXACT) || value instanceof Integer
                || value instanceof Double || value instanceof Boolean || value instanceof Short
                || value instanceof Byte || value instanceof Float;
    }

    static Object number(double d) {
        boolean integral = d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63;
        boolean negativeZero = d == 0 && Double.doubleToRawLongBits(d) != 0;
        return integral && !negativeZero ? (Object) (long) d : (Object) d;
    }

    /** A long as a number where a double holds it exactly (within ±2^53), else as an int64_t cdata. */
    private void pushLong(MemorySegment L, long value) {
        if (value >= -EXACT && value <= EXACT) {
            lua_pushnumber(L, value);
        } else {
            bridge.pushInteger(L, value, false);
        }
    }

    /** A BigInteger as an int64_t when negative, a uint64_t otherwise (as a channel message has it). */
    private void pushBig(MemorySegment L, BigInteger big) {
        if (big.signum() >= 0 && big.bitLength() <= 64) {
            bridge.pushInteger(L, big.longValue(), true);
        } else if (big.bitLength() <= 63) {
            bridge.pushInteger(L, big.longValue(), false);
        } else {
            throw new IllegalArgumentException(big + " fits neither int64_t nor uint64_t");
        }
    }

    /** The Java value of a {@code uint64_t}'s bits: a Long below 2^63, else a BigInteger. */
    public static Object unsigned(long bits) {
        return bits >= 0 ? (Object) bits : BigInteger.valueOf(bits).add(TWO_TO_64);
    }

    /**
     * The UTF-8 bytes of a String, as Lua receives it.
     *
     * @throws IllegalArgumentException when the String holds a lone surrogate, which has no UTF-8 form
     *                                  ({@code getBytes} would silently put a {@code '?'} in its place)
     */
    public static byte[] utf8(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new IllegalArgumentException(String.format("a String with a lone surrogate (U+%04X at index"
                            + " %d), which has no UTF-8 form; pass well-formed text, or the bytes meant as a byte[]",
                            (int) c, i));
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The UTF-8 bytes of Lua source text.
     *
     * @throws IllegalArgumentException when the text holds a lone surrogate, naming it
     */
    public static byte[] source(String text) {
        try {
            return utf8(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the Lua source text is " + e.getMessage(), e);
        }
    }

    private static MemorySegment lightUserdata(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap MemorySegment has no address; pass a native segment");
        }
        long address = segment.address();
        if (address < 0 || address >= LIGHT_USERDATA_LIMIT) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                    + " does not fit a LuaJIT light userdata (47 bits)");
        }
        return segment;
    }

    private void pushBytes(MemorySegment L, byte[] bytes) {
        if (bytes.length <= SCRATCH_BYTES) {
            MemorySegment.copy(bytes, 0, scratch, JAVA_BYTE, 0, bytes.length);
            lua_pushlstring(L, scratch, bytes.length);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                lua_pushlstring(L, arena.allocateFrom(JAVA_BYTE, bytes), bytes.length);
            }
        }
    }

    Object string(byte[] bytes) {
        return string(bytes, utf8);
    }

    /**
     * The Java value of a Lua string's bytes: a String when they are valid UTF-8, else the bytes themselves.
     *
     * @param utf8 a decoder from {@link #utf8Decoder()}, used by one thread at a time
     */
    public static Object string(byte[] bytes, CharsetDecoder utf8) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return bytes;
        }
    }

    /** A decoder for {@link #string(byte[], CharsetDecoder)}: it reports malformed input instead of replacing it. */
    public static CharsetDecoder utf8Decoder() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }
}
