package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/** Lua functions called from Java through typed method handles (LuaState.function). */
class LuaStateFunctionTest extends LuaStateFixture {

    @Test
    void shouldCallALuaFunctionThroughATypedHandle() throws Throwable {
        lua.run("function inc(n) return n + 1 end");
        MethodHandle inc = lua.function("inc", "int64_t (*)(int64_t)");
        assertEquals(42L, (long) inc.invokeExact(41L));
        assertEquals(Long.MIN_VALUE, (long) inc.invokeExact(Long.MAX_VALUE), "int64_t arithmetic wraps as in C");
        MethodHandle small = lua.function("inc", "int (*)(int)");
        assertEquals(-4, (int) small.invokeExact(-5));
    }

    @Test
    void shouldLookTheNameUpOnce() throws Throwable {
        lua.run("util = { twice = function(x) return x * 2 end }");
        MethodHandle twice = lua.function("util.twice", FunctionDescriptor.of(JAVA_DOUBLE, JAVA_DOUBLE));
        lua.run("util.twice = nil");
        assertEquals(5.0, (double) twice.invokeExact(2.5));
    }

    @Test
    void shouldPassPointersAndSeveralArguments() throws Throwable {
        lua.run("""
                local ffi = require("ffi")
                function describe(s, n, flag)
                  return #ffi.string(s) * n + (flag and 1 or 0)
                end""");
        MethodHandle describe = lua.function("describe", "int (*)(const char *, int, bool)");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(16, (int) describe.invokeExact(arena.allocateFrom("lj-async"), 2, false));
            assertEquals(10, (int) describe.invokeExact(arena.allocateFrom("lua"), 3, true));
        }
    }

    @Test
    void shouldThrowLuaErrorsWithTheirTracebackAndStayUsable() throws Throwable {
        lua.run("""
                local function check(n)
                  if n < 0 then error("negative") end
                  return n
                end
                function sqrtish(n) return check(n) end""", "math", new Object[0]);
        MethodHandle f = lua.function("sqrtish", "double (*)(double)");
        LuaException e = assertThrows(LuaException.class, () -> {
            double ignored = (double) f.invokeExact(-1.0);
        });
        assertEquals("math:2: negative", e.luaMessage());
        assertTrue(e.traceback().contains("math:2: in function"), e.traceback());
        assertEquals(4.0, (double) f.invokeExact(4.0));
        assertUsable();
    }

    @Test
    void shouldThrowWhenTheResultDoesNotConvert() {
        lua.run("function text() return 'x' end");
        MethodHandle text = lua.function("text", "int (*)(void)");
        LuaException e = assertThrows(LuaException.class, () -> {
            int ignored = (int) text.invokeExact();
        });
        assertTrue(e.luaMessage().contains("cannot convert"), e.luaMessage());
        assertUsable();
    }

    @Test
    void shouldRefuseNamesThatAreNotFunctionsAndBadSignatures() {
        lua.run("value = 3");
        assertTrue(assertThrows(LuaException.class, () -> lua.function("value", "int (*)(int)"))
                .getMessage().contains("not a function but a number"));
        assertThrows(LuaException.class, () -> lua.function("missing.deeper", "int (*)(int)"));
        assertThrows(IllegalArgumentException.class, () -> lua.function("value", "int (*)(struct s)"));
    }

    @Test
    void shouldRefuseCallsAfterClose() {
        LuaState other = LuaState.open();
        other.run("function f() return 1 end");
        MethodHandle f = other.function("f", "int (*)(void)");
        other.close();
        assertThrows(IllegalStateException.class, () -> {
            int ignored = (int) f.invokeExact();
        });
    }

    @Test
    void shouldWorkFromInsideAJavaFunction() throws Throwable {
        lua.run("function square(n) return n * n end");
        MethodHandle square = lua.function("square", "int (*)(int)");
        lua.register("viaJava", args -> {
            try {
                return (long) (int) square.invokeExact(((Long) args[0]).intValue());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        });
        assertEquals(49L + 1, lua.run("return coroutine.wrap(function() return viaJava(7) + 1 end)()")[0]);
    }

    @Test
    @Timeout(60)
    void shouldSerializeCallsFromManyThreads() throws Throwable {
        lua.run("count = 0 function bump(n) count = count + n return count end");
        MethodHandle bump = lua.function("bump", "int64_t (*)(int)");
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 25_000; i++) {
                        long ignored = (long) bump.invokeExact(1);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            assertTrue(thread.join(Duration.ofSeconds(50)));
        }
        assertTrue(failures.isEmpty(), () -> failures.toString());
        assertEquals(100_000L, lua.get("count"));
    }
}
