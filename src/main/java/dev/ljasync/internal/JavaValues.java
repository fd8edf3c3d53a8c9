package dev.ljasync.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

import static dev.ljasync.internal.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Converts between Java objects and values on a Lua stack: the one place that decides how each Java type looks in
 * Lua and back, by the rules documented on {@link dev.ljasync.LuaState}. One instance per state, used only by the
 * thread that holds the state's lock.
 */
public final class JavaValues {

    /** LuaJIT (GC64) keeps light userdata addresses in 47 bits. */
    private static final long LIGHT_USERDATA_LIMIT = 1L << 47;
    private static final long SCRATCH_BYTES = 4096;

    private final MemorySegment scratch;
    private final MemorySegment length;
    private final CharsetDecoder utf8 = utf8Decoder();
    private final UnaryOperator<Object> shared;

    /** Scratch memory comes from {@code arena}, which must outlive this object. */
    public JavaValues(Arena arena) {
        this(arena, UnaryOperator.identity());
    }

    /**
     * Scratch memory comes from {@code arena}, which must outlive this object. {@code shared} gives the value that
     * stands in Lua for an object of the public API that has no Lua value of its own (a channel's handle, a number
     * that ljasync.sync wraps); it returns any other object unchanged.
     */
    public JavaValues(Arena arena, UnaryOperator<Object> shared) {
        this.scratch = arena.allocate(SCRATCH_BYTES, 8);
        this.length = arena.allocate(JAVA_LONG);
        this.shared = shared;
    }

    /**
     * Pushes {@code value}. The caller has made room on the stack and paused the collector ({@link LuaNative#gcPause}).
     *
     * @throws IllegalArgumentException if the value has no Lua form; nothing is pushed then
     */
    public void push(MemorySegment L, Object value) {
        switch (value) {
            case null -> lua_pushnil(L);
            case Boolean b -> lua_pushboolean(L, b);
            case Long l -> lua_pushnumber(L, exactDouble(l));
            case Integer i -> lua_pushnumber(L, i);
            case Short s -> lua_pushnumber(L, s);
            case Byte b -> lua_pushnumber(L, b);
            case Double d -> lua_pushnumber(L, d);
            case Float f -> lua_pushnumber(L, f);
            case String s -> pushBytes(L, utf8(s));
            case byte[] bytes -> pushBytes(L, bytes);
            case MemorySegment segment -> lua_pushlightuserdata(L, lightUserdata(segment));
            default -> {
                Object standIn = shared.apply(value);
                if (standIn == value) {
                    throw new IllegalArgumentException("a " + value.getClass().getName() + " has no Lua value;"
                            + " pass null, Boolean, a number, String, byte[], a native MemorySegment, or a Channel,"
                            + " Mutex or Semaphore");
                }
                push(L, standIn);
            }
        }
    }

    /**
     * The Java value at {@code idx}.
     *
     * @throws IllegalArgumentException for a Lua type that has no Java value, naming that type
     */
    public Object toJava(MemorySegment L, int idx) {
        int type = lua_type(L, idx);
        if (type == LUA_TNIL || type == LUA_TNONE) return null;
        if (type == LUA_TBOOLEAN) return lua_toboolean(L, idx);
        if (type == LUA_TNUMBER) return number(lua_tonumber(L, idx));
        if (type == LUA_TSTRING) return string(bytes(L, idx));
        // zero-length, as a pointer from C is: reading or writing through it takes a deliberate reinterpret
        if (type == LUA_TLIGHTUSERDATA) return MemorySegment.ofAddress(lua_touserdata(L, idx).address());
        throw new IllegalArgumentException("a " + typeName(type) + " has no Java value (nil, booleans, numbers,"
                + " strings and light userdata have)");
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
            if (value != null && !(value instanceof Long || value instanceof Integer || value instanceof Double
                    || value instanceof Boolean || value instanceof Short || value instanceof Byte
                    || value instanceof Float)) {
                return false;
            }
        }
        return true;
    }

    static Object number(double d) {
        boolean integral = d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63;
        boolean negativeZero = d == 0 && Double.doubleToRawLongBits(d) != 0;
        return integral && !negativeZero ? (Object) (long) d : (Object) d;
    }

    private static double exactDouble(long value) {
        double d = value;
        if (d >= 0x1p63 || (long) d != value) {
            throw new IllegalArgumentException(value + " has no exact Lua number (Lua numbers are doubles:"
                    + " integers are exact up to 2^53); pass it as a Double to round it, or as a String");
        }
        return d;
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

    private Object string(byte[] bytes) {
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
