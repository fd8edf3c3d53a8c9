package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every supported C type crosses native code -> Lua -> native code with its extreme values intact. */
class CallbackValuesTest {

    /** C type, how Lua sees its values (a Lua expression over x), and values to send (Java carriers). */
    static Stream<Arguments> types() {
        List<Arguments> all = new ArrayList<>();
        String number = "type(x) == 'number'";
        String int64 = "ffi.istype('int64_t', x)";
        String uint64 = "ffi.istype('uint64_t', x)";
        String pointer = "type(x) == 'cdata'";
        for (String t : List.of("char", "signed char", "int8_t")) {
            all.add(Arguments.of(t, number, new Object[] {Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0}));
        }
        for (String t : List.of("unsigned char", "uint8_t")) {
            all.add(Arguments.of(t, number, new Object[] {(byte) 0, (byte) 0xFF, (byte) 0x80}));
        }
        for (String t : List.of("short", "short int", "signed short", "int16_t")) {
            all.add(Arguments.of(t, number, new Object[] {Short.MIN_VALUE, Short.MAX_VALUE}));
        }
        for (String t : List.of("unsigned short", "uint16_t")) {
            all.add(Arguments.of(t, number, new Object[] {(short) 0, (short) 0xFFFF}));
        }
        for (String t : List.of("int", "signed", "signed int", "int32_t", "const int")) {
            all.add(Arguments.of(t, number, new Object[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0}));
        }
        for (String t : List.of("unsigned", "unsigned int", "uint32_t")) {
            all.add(Arguments.of(t, number, new Object[] {0, -1, Integer.MIN_VALUE}));
        }
        for (String t : List.of("long", "long int", "signed long", "long long", "long long int", "int64_t",
                "ssize_t", "intptr_t", "ptrdiff_t")) {
            all.add(Arguments.of(t, int64, new Object[] {Long.MIN_VALUE, Long.MAX_VALUE, (1L << 53) + 1, 0L}));
        }
        for (String t : List.of("unsigned long", "unsigned long long", "size_t", "uintptr_t", "uint64_t")) {
            all.add(Arguments.of(t, uint64, new Object[] {0L, -1L, Long.MIN_VALUE, (1L << 53) + 1}));
        }
        for (String t : List.of("bool", "_Bool")) {
            all.add(Arguments.of(t, "type(x) == 'boolean'", new Object[] {false, true}));
        }
        all.add(Arguments.of("float", number, new Object[] {-Float.MAX_VALUE, Float.MAX_VALUE, Float.MIN_VALUE,
                -0.0f, Float.POSITIVE_INFINITY}));
        all.add(Arguments.of("double", number, new Object[] {-Double.MAX_VALUE, Double.MAX_VALUE, Double.MIN_VALUE,
                -0.0, Double.NEGATIVE_INFINITY}));
        for (String t : List.of("void *", "const char*", "int **", "struct point *", "const union u *",
                "void (*)(int)")) {
            all.add(Arguments.of(t, pointer, new Object[] {MemorySegment.NULL, MemorySegment.ofAddress(-1L),
                    MemorySegment.ofAddress(0x7fff_1234_5678L)}));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void shouldRoundTripExtremeValues(String type, String luaView, Object[] values) throws Throwable {
        // a function pointer comes back as a void * (a function-pointer result would need C's inside-out syntax)
        String signature = (type.contains("(*)") ? "void *" : type) + " (*)(" + type + ")";
        CallbackType callbackType = CallbackType.of(signature);
        try (Callback cb = callbackType.create("""
                local ffi = require("ffi")
                return function(x)
                  assert(%s, "arrived as " .. type(x))
                  return x
                end""".formatted(luaView))) {
            MethodHandle call = NativeCallers.downcall(cb);
            for (Object value : values) {
                Object back = call.invokeWithArguments(value);
                if (value instanceof MemorySegment m) {
                    assertEquals(m.address(), ((MemorySegment) back).address(), type);
                } else {
                    assertEquals(value, back, type);
                }
            }
            assertEquals(0, cb.errorCount(), () -> cb.lastError().map(Throwable::getMessage).orElse(""));
        }
    }

    @Test
    void shouldLayOutMixedParametersAsC() throws Throwable {
        CallbackType type = CallbackType.of(
                "double (*)(char c, double d, int64_t big, float f, bool b, const char *s, short h, uint8_t u)");
        try (Arena arena = Arena.ofConfined();
             Callback cb = type.create("""
                     local ffi = require("ffi")
                     return function(c, d, big, f, b, s, h, u)
                       return c + d + tonumber(big) + f + (b and 1000 or 0) + #ffi.string(s) + h + u
                     end""")) {
            Object r = NativeCallers.downcall(cb).invokeWithArguments((byte) -1, 0.5, 1L << 40, 0.25f, true,
                    arena.allocateFrom("hello"), (short) -300, (byte) 200);
            assertEquals(-1 + 0.5 + (1L << 40) + 0.25 + 1000 + 5 - 300 + 200, (double) r);
        }
    }

    @Test
    void shouldCallVoidFunctionsAndIgnoreTheirResults() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            try (Callback cb = CallbackType.of("void(*)(int)").create("""
                    local ffi = require("ffi")
                    local cell = ffi.cast("int *", ...)
                    return function(n) cell[0] = cell[0] + n return "ignored" end""", cell);
                 Callback none = CallbackType.of("int(*)(void)").create("return function(...) return select('#', ...) end")) {
                MethodHandle call = NativeCallers.downcall(cb);
                call.invokeExact(5);
                call.invokeExact(7);
                assertEquals(12, cell.get(java.lang.foreign.ValueLayout.JAVA_INT, 0));
                assertEquals(0, (int) NativeCallers.downcall(none).invokeExact());
            }
        }
    }

    @Test
    void shouldConvertResultsByTheFfiRules() throws Throwable {
        try (Arena arena = Arena.ofConfined();
             Callback ptr = CallbackType.of("void *(*)(int)").builder().onError(e -> {}).create("""
                     local ffi = require("ffi")
                     local buffer = ...
                     return function(n)
                       if n == 1 then return nil end
                       if n == 2 then return buffer end                      -- light userdata
                       if n == 3 then return ffi.cast("char *", buffer) + 4 end -- cdata pointer
                       return 42                                             -- a number is no pointer
                     end""", arena.allocate(16));
             Callback wide = CallbackType.of("uint64_t (*)(int)").create("""
                     return function(n) if n == 1 then return 0xFFFFFFFFFFFFFFFFULL end return 2^52 end""");
             Callback flag = CallbackType.of("bool (*)(int)").create("return function(n) return n > 0 end")) {
            MethodHandle p = NativeCallers.downcall(ptr);
            assertEquals(0, ((MemorySegment) p.invokeExact(1)).address());
            long base = ((MemorySegment) p.invokeExact(2)).address();
            assertNotEquals(0, base);
            assertEquals(base + 4, ((MemorySegment) p.invokeExact(3)).address());
            assertEquals(0, ptr.errorCount());
            assertEquals(0, ((MemorySegment) p.invokeExact(4)).address());
            assertEquals(1, ptr.errorCount());
            assertEquals(-1L, (long) NativeCallers.downcall(wide).invokeExact(1));
            assertEquals(1L << 52, (long) NativeCallers.downcall(wide).invokeExact(2));
            assertTrue((boolean) NativeCallers.downcall(flag).invokeExact(3));
            assertFalse((boolean) NativeCallers.downcall(flag).invokeExact(-3));
        }
    }
}
