package dev.ljasync;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LuaState#register(String, String, MethodHandle)}: Java methods that Lua calls through the FFI. */
class TypedJavaFunctionTest {

    static final AtomicInteger CALLS = new AtomicInteger();
    static LuaState reentered;

    static long inc(long x) {
        CALLS.incrementAndGet();
        return x + 1;
    }

    static double half(int x) {
        return x / 2.0;
    }

    static boolean positive(double x) {
        return x > 0;
    }

    static long address(MemorySegment p) {
        return p.address();
    }

    static void count() {
        CALLS.incrementAndGet();
    }

    static long boom(long x) {
        throw new IllegalStateException("boom " + x);
    }

    static long callsBack(long x) {
        return (Long) reentered.call("id", x)[0];
    }

    static MethodHandle handle(String name, Class<?> result, Class<?>... parameters) {
        try {
            return MethodHandles.lookup().findStatic(TypedJavaFunctionTest.class, name,
                    MethodType.methodType(result, parameters));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void luaCallsAJavaMethodThroughTheFfiExactlyAsOftenAsItSays() {
        try (LuaState lua = LuaState.open()) {
            lua.register("jinc", "int64_t (*)(int64_t)", handle("inc", long.class, long.class));
            lua.run("function loop(n) local s = 0 for i = 1, n do s = jinc(s) end return s end");
            int before = CALLS.get();
            // enough iterations for LuaJIT to compile the loop, with the call in the trace
            assertEquals(100_000L, lua.call("loop", 100_000)[0]);
            assertEquals(100_000, CALLS.get() - before);
            assertEquals("cdata", lua.run("return type(jinc(1))")[0]); // as an FFI function returning int64_t
            assertEquals(9007199254740993L, lua.run("return jinc(2^53)")[0]); // exact past 2^53
        }
    }

    @Test
    void valuesConvertAsTheFfiConvertsThemForTheCType() {
        try (LuaState lua = LuaState.open()) {
            lua.register("m.half", "double (*)(int)", handle("half", double.class, int.class));
            lua.register("m.positive", "bool (*)(double)", handle("positive", boolean.class, double.class));
            lua.register("m.address", "int64_t (*)(void *)", handle("address", long.class, MemorySegment.class));
            lua.register("m.count", "void (*)(void)", handle("count", void.class));
            int before = CALLS.get();
            Object[] r = lua.run("""
                    local ffi = require("ffi")
                    return m.half(3), m.positive(-1), m.positive(0.5), m.address(ffi.cast("void *", 4096)),
                      select("#", m.count())
                    """);
            assertEquals(1.5, r[0]);
            assertEquals(false, r[1]);
            assertEquals(true, r[2]);
            assertEquals(4096L, r[3]);
            assertEquals(0L, r[4]); // void: nothing
            assertEquals(1, CALLS.get() - before);
        }
    }

    @Test
    void anExceptionIsALuaErrorAtTheCallerWithTheExceptionAsCause() {
        try (LuaState lua = LuaState.open()) {
            lua.register("boom", "int64_t (*)(int64_t)", handle("boom", long.class, long.class));
            lua.register("jinc", "int64_t (*)(int64_t)", handle("inc", long.class, long.class));
            LuaException e = assertThrows(LuaException.class, () -> lua.run("local x = 1\nlocal y = boom(3)", "typed"));
            assertEquals(LuaException.Kind.JAVA, e.kind());
            assertEquals("typed", e.chunkName());
            assertEquals(2, e.line());
            assertEquals("typed:2: Java function 'boom' threw java.lang.IllegalStateException: boom 3",
                    e.luaMessage());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            Object[] caught = lua.run("local ok, message = pcall(boom, 4) return ok, message, jinc(41)");
            assertEquals(false, caught[0]);
            assertEquals("Java function 'boom' threw java.lang.IllegalStateException: boom 4", caught[1]);
            assertEquals(42L, caught[2]); // the failure was raised once, and is gone
        }
    }

    @Test
    void theMethodCannotEnterItsOwnStateButMayEnterAnother() {
        try (LuaState lua = LuaState.open(); LuaState other = LuaState.open()) {
            lua.register("back", "int64_t (*)(int64_t)", handle("callsBack", long.class, long.class));
            lua.run("function id(x) return x end");
            other.run("function id(x) return x * 2 end");
            reentered = lua;
            LuaException e = assertThrows(LuaException.class, () -> lua.run("return back(1)"));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.luaMessage().contains("runs inside a call through LuaJIT's FFI"), e.luaMessage());
            assertEquals(7L, lua.call("id", 7)[0]); // the state works on
            reentered = other;
            assertEquals(10L, lua.run("return back(5)")[0]);
        }
    }

    @Test
    void aTargetOfAnotherTypeOrABadSignatureIsRefusedAtOnce() {
        try (LuaState lua = LuaState.open()) {
            IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                    () -> lua.register("bad", "int (*)(int)", handle("inc", long.class, long.class)));
            assertEquals("the Java function 'bad' is a (long)long, which the C type int (*)(int) cannot"
                    + " call: it calls a (int)int", type.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> lua.register("bad", "int (*)(int", handle("inc", long.class, long.class)));
            assertEquals(null, lua.get("bad"));
        }
        try (LuaState noFfi = LuaState.open(LuaState.Library.BASE)) {
            LuaException e = assertThrows(LuaException.class,
                    () -> noFfi.register("x", "int64_t (*)(int64_t)", handle("inc", long.class, long.class)));
            assertTrue(e.getMessage().contains("needs module 'ffi'"), e.getMessage());
        }
    }

    @Test
    void theStubCalledFromAnotherThreadRunsNothing() {
        ChildJvm.run(TypedJavaFunctionTest.class, "stubCalledFromAnotherThread").assertPrinted("ran 0 of 100");
    }

    /**
     * Hostile code with the debug library takes the stub's address out of the wrapper and calls it from a thread
     * that does not hold the state: the target must not run there (its bookkeeping belongs to the holder).
     */
    static void stubCalledFromAnotherThread() throws InterruptedException {
        try (LuaState lua = LuaState.open()) {
            lua.register("jinc", "int64_t (*)(int64_t)", handle("inc", long.class, long.class));
            int before = CALLS.get();
            Object address = lua.run("""
                    local ffi = require("ffi")
                    local _, f = debug.getupvalue(jinc, 1)
                    return tonumber(ffi.cast("intptr_t", f))
                    """)[0];
            LuaThread thread = LuaThread.spawn("""
                    local ffi = require("ffi")
                    local f = ffi.cast("int64_t (*)(int64_t)", ...)
                    local sum = 0
                    for i = 1, 100 do sum = sum + tonumber(f(i)) end
                    return function() return sum end
                    """, address);
            thread.join();
            if (thread.error().isPresent()) {
                throw new AssertionError(thread.error().get());
            }
            System.out.println("ran " + (CALLS.get() - before) + " of 100, sum " + thread.result());
            if (!Long.valueOf(0).equals(thread.result())) {
                throw new AssertionError("the stub returned " + thread.result());
            }
            if (!Long.valueOf(2).equals(lua.run("return jinc(1)")[0])) { // the state's own calls work on
                throw new AssertionError("the state's own call failed");
            }
        }
    }
}
