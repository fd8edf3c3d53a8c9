package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/** Callbacks made from C signature strings: creation, chunks, errors, close, called by real native code. */
class CallbackTest {

    private static final CallbackType INT_TO_INT = CallbackType.of("int(*)(int)");

    @Test
    void shouldCallLuaThroughTheFunctionPointer() throws Throwable {
        try (Callback cb = INT_TO_INT.create("return function(n) return n * 2 + 1 end")) {
            MethodHandle call = NativeCallers.downcall(cb);
            assertEquals(85, (int) call.invokeExact(42));
            assertEquals(-1, (int) call.invokeExact(-1));
            assertEquals(0, cb.errorCount());
        }
    }

    @Test
    @Timeout(60)
    void shouldSortWithQsortAndALuaComparator() throws Throwable {
        int n = 100_000;
        int[] expected = new Random(7).ints(n).toArray();
        CallbackType compare = CallbackType.of("int(*)(const void*, const void*)");
        try (Arena arena = Arena.ofConfined();
             Callback cb = compare.create("""
                     local ffi = require("ffi")
                     return function(a, b)
                       local x, y = ffi.cast("const int*", a)[0], ffi.cast("const int*", b)[0]
                       return x < y and -1 or (x > y and 1 or 0)
                     end""")) {
            MemorySegment array = arena.allocateFrom(JAVA_INT, expected);
            NativeCallers.qsort(array, n, JAVA_INT.byteSize(), cb.funcptr());
            java.util.Arrays.sort(expected);
            assertArrayEquals(expected, array.toArray(JAVA_INT));
            assertEquals(0, cb.errorCount());
        }
    }

    @Test
    void shouldPassInitArgsToTheChunk() throws Throwable {
        try (Callback cb = INT_TO_INT.create("local k, name = ... return function(n) return n * k + #name end",
                10L, "four")) {
            assertEquals(74, (int) NativeCallers.downcall(cb).invokeExact(7));
        }
    }

    @Test
    void shouldServeManyCallbacksFromOneCompiledChunk() throws Throwable {
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = lua.compile("local k = ... return function(n) return n + k end", "adder");
        }
        List<Callback> callbacks = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                callbacks.add(INT_TO_INT.create(chunk, (long) i));
            }
            for (int i = 0; i < callbacks.size(); i++) {
                assertEquals(i + 5, (int) NativeCallers.downcall(callbacks.get(i)).invokeExact(5));
            }
        } finally {
            callbacks.forEach(Callback::close);
        }
    }

    @Test
    void shouldAcceptBytecodeFromStringDump() throws Throwable {
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = (byte[]) lua.run("return string.dump(function(k) return function(n) return n - k end end)")[0];
        }
        try (Callback cb = INT_TO_INT.create(chunk, 3L)) {
            assertEquals(7, (int) NativeCallers.downcall(cb).invokeExact(10));
        }
    }

    @Test
    void shouldRefuseBytecodeWithUpvalues() {
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = (byte[]) lua.run("local offset = 1 "
                    + "return string.dump(function() return function(n) return n + offset end end)")[0];
        }
        var e = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create(chunk));
        assertTrue(e.getMessage().contains("upvalues") && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void shouldNameWhatTheChunkReturnedWhenItIsNotAFunction() {
        var table = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create("return {}"));
        assertTrue(table.getMessage().contains("returned a table value"), table.getMessage());
        var nothing = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create("local x = 1"));
        assertTrue(nothing.getMessage().contains("returned nothing"), nothing.getMessage());
        var number = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create("return 42"));
        assertTrue(number.getMessage().contains("returned a number value"), number.getMessage());
    }

    @Test
    void shouldReportSyntaxAndRuntimeErrorsOfTheChunk() {
        var syntax = assertThrows(LuaException.class,
                () -> INT_TO_INT.builder().name("broken").create("return function(n) return n +"));
        assertEquals(LuaException.Kind.SYNTAX, syntax.kind());
        assertEquals("broken", syntax.chunkName());
        var runtime = assertThrows(LuaException.class,
                () -> INT_TO_INT.builder().name("init").create("\nerror('no config')"));
        assertEquals(LuaException.Kind.RUNTIME, runtime.kind());
        assertEquals(2, runtime.line());
        assertTrue(runtime.traceback().contains("init:2"), runtime.traceback());
    }

    @Test
    void shouldReturnTheFallbackAndReportALuaErrorThenWorkAgain() throws Throwable {
        List<LuaException> seen = new CopyOnWriteArrayList<>();
        try (Callback cb = INT_TO_INT.builder().name("risky").fallback(-7).onError(seen::add).create("""
                local function check(n)
                  if n < 0 then error("negative: " .. n) end
                  return n
                end
                return function(n)
                  return check(n) * 10
                end""")) {
            MethodHandle call = NativeCallers.downcall(cb);
            assertEquals(-7, (int) call.invokeExact(-3));
            assertEquals(40, (int) call.invokeExact(4));
            assertEquals(1, cb.errorCount());
            LuaException e = cb.lastError().orElseThrow();
            assertSame(e, seen.get(0));
            assertEquals(LuaException.Kind.RUNTIME, e.kind());
            assertEquals("risky:2: negative: -3", e.luaMessage());
            assertEquals(2, e.line());
            assertTrue(e.traceback().contains("risky:2: in function 'check'"), e.traceback());
            assertTrue(e.traceback().contains("risky:6:"), e.traceback());
            assertFalse(e.traceback().contains("ljasync."), e.traceback());
        }
    }

    @Test
    void shouldTreatAResultThatDoesNotConvertAsAnError() throws Throwable {
        try (Callback cb = INT_TO_INT.builder().onError(e -> {}).create(
                "return function(n) if n == 1 then return 'one' elseif n == 2 then return nil end return n end")) {
            MethodHandle call = NativeCallers.downcall(cb);
            assertEquals(0, (int) call.invokeExact(1));
            assertTrue(cb.lastError().orElseThrow().luaMessage().contains("cannot convert"),
                    cb.lastError().orElseThrow().getMessage());
            assertEquals(0, (int) call.invokeExact(2));
            assertEquals(2, cb.errorCount());
            assertEquals(3, (int) call.invokeExact(3));
        }
    }

    @Test
    void shouldSurviveErrorsThatAreNotStrings() throws Throwable {
        try (Callback cb = INT_TO_INT.builder().onError(e -> {}).create("""
                return function(n)
                  if n == 1 then error({code = 1}) end
                  if n == 2 then error(setmetatable({}, {__tostring = function() error("again") end})) end
                  if n == 3 then local t = nil; return t.x end
                  if n == 4 then return (function(f) return f(f) end)(function(f) return 1 + f(f) end) end
                  return n
                end""")) {
            MethodHandle call = NativeCallers.downcall(cb);
            for (int n = 1; n <= 4; n++) {
                assertEquals(0, (int) call.invokeExact(n));
            }
            assertEquals(4, cb.errorCount());
            assertEquals(5, (int) call.invokeExact(5));
        }
    }

    @Test
    void shouldHandAnErrorHandlerThatThrowsNothingToTheCaller() throws Throwable {
        try (Callback cb = INT_TO_INT.builder().fallback(9).onError(e -> {
            throw new IllegalStateException("handler bug");
        }).create("return function(n) error('x') end")) {
            assertEquals(9, (int) NativeCallers.downcall(cb).invokeExact(1));
            assertEquals(1, cb.errorCount());
        }
    }

    @Test
    void shouldRefuseUseAfterCloseAndCloseTwiceQuietly() {
        Callback cb = INT_TO_INT.create("return function(n) return n end");
        assertFalse(cb.isClosed());
        cb.close();
        cb.close();
        assertTrue(cb.isClosed());
        assertThrows(IllegalStateException.class, cb::funcptr);
    }

    @Test
    void shouldRefuseCallsAfterCloseWithoutCrashing() throws Throwable {
        List<LuaException> seen = new CopyOnWriteArrayList<>();
        Callback cb = INT_TO_INT.builder().fallback(-1).onError(seen::add).create("return function(n) return n end");
        MethodHandle call = NativeCallers.downcall(cb); // native code keeps the pointer it was given
        assertEquals(5, (int) call.invokeExact(5));
        cb.close();
        assertEquals(-1, (int) call.invokeExact(6));
        assertEquals(1, cb.errorCount());
        LuaException refused = cb.lastError().orElseThrow();
        assertEquals(LuaException.Kind.REFUSED, refused.kind());
        assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        assertTrue(seen.isEmpty(), "a closed callback no longer calls its error handler");
        java.lang.ref.Reference.reachabilityFence(cb); // the stub lives as long as the Callback object
    }

    @Test
    void shouldCheckTheFallbackAgainstTheResultType() {
        assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.builder().fallback("x"));
        assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.builder().fallback(1L << 40));
        assertThrows(IllegalArgumentException.class, () -> CallbackType.of("void(*)(int)").builder().fallback(1));
        assertThrows(IllegalArgumentException.class, () -> CallbackType.of("bool(*)(int)").builder().fallback(1));
        assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.builder().states(0));
        CallbackType.of("unsigned int(*)(int)").builder().fallback(-1).fallback(0xFFFF_FFFFL);
        CallbackType.of("void*(*)(int)").builder().fallback(null).fallback(MemorySegment.ofAddress(16));
    }

    @Test
    void shouldMakeTypesFromFunctionDescriptors() throws Throwable {
        CallbackType type = CallbackType.of(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_DOUBLE));
        assertEquals("int64_t (*)(int64_t, double)", type.toString());
        try (Callback cb = type.create("return function(a, b) return a + b end")) {
            MethodHandle call = NativeCallers.downcall(cb);
            assertEquals(Long.MAX_VALUE, (long) call.invokeExact(Long.MAX_VALUE - 2, 2.0));
        }
        assertThrows(IllegalArgumentException.class, () -> CallbackType.of(
                FunctionDescriptor.ofVoid(java.lang.foreign.MemoryLayout.structLayout(JAVA_INT, JAVA_INT))));
    }

    @Test
    void shouldNameTheOffendingTokenOfABadSignature() {
        var e = assertThrows(IllegalArgumentException.class, () -> CallbackType.of("int(*)(struct point)"));
        assertTrue(e.getMessage().contains("position"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CallbackType.of("int(*)(int, ...)"));
    }
}
