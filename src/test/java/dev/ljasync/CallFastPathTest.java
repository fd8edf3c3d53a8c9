package dev.ljasync;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LuaState.call of a plain global name takes a fast path (its Lua string cached, the function read raw from the
 * globals) and a Java function's plain results are pushed without a room check or the collector's pause: each
 * behaves as the general path does, whatever the global holds, and falls back to it where it must.
 */
class CallFastPathTest extends LuaStateFixture {

    @Test
    void shouldCallWhatTheGlobalHoldsNowNotWhatItHeldBefore() {
        lua.run("function f(x) return x + 1 end");
        assertEquals(2L, lua.call("f", 1L)[0]);
        lua.run("function f(x) return x * 10 end");
        assertEquals(10L, lua.call("f", 1L)[0]);
        lua.run("f = nil");
        var e = assertThrows(LuaException.class, () -> lua.call("f", 1L));
        assertEquals("attempt to call 'f' (a nil value)", e.luaMessage());
        lua.run("function f() return 'back' end");
        assertEquals("back", lua.call("f")[0]);
    }

    @Test
    void shouldFallBackToMetamethodsOfTheGlobalsAndOfTheValue() {
        // a nil global found through __index on the globals, and a table with __call
        lua.run("setmetatable(_G, {__index = function(_, name) if name == 'viaIndex' then"
                + " return function(x) return 'index ' .. x end end end})");
        assertEquals("index 7", lua.call("viaIndex", 7L)[0]);
        lua.run("callable = setmetatable({}, {__call = function(self, x) return 'call ' .. x end})");
        assertEquals("call 8", lua.call("callable", 8L)[0]);
        lua.run("notCallable = 5");
        assertThrows(LuaException.class, () -> lua.call("notCallable"));
        lua.run("setmetatable(_G, nil)");
    }

    @Test
    void shouldReportErrorsWithChunkLineAndTraceback() {
        lua.run("function boom(x)\n  error('bad ' .. x)\nend", "boomChunk");
        var e = assertThrows(LuaException.class, () -> lua.call("boom", "thing"));
        assertEquals("boomChunk:2: bad thing", e.luaMessage());
        assertEquals(2, e.line());
        assertTrue(e.traceback().contains("boomChunk:2"), e.traceback());
        assertEquals(3L, lua.call("select", "#", 1L, 2L, 3L)[0], "the state is still usable");
    }

    @Test
    void shouldPassEveryKindOfArgumentAndAnyNumberOfThem() {
        lua.run("function count(...) return select('#', ...), ... end");
        assertArrayEquals(new Object[] {5L, null, true, 1.5, "s", 7L}, lua.call("count", null, true, 1.5, "s", 7));
        Object[] many = IntStream.rangeClosed(1, 300).mapToObj(i -> (Object) (long) i).toArray();
        Object[] r = lua.call("count", many);
        assertEquals(301, r.length);
        assertEquals(300L, r[0]);
        assertEquals(300L, r[300]);
        var e = assertThrows(IllegalArgumentException.class,
                () -> lua.call("count", 1L, java.math.BigInteger.ONE.shiftLeft(70)));
        assertTrue(e.getMessage().startsWith("argument 2 of the function 'count': "), e.getMessage());
        assertEquals(0L, lua.call("count")[0], "the stack was restored");
    }

    @Test
    void shouldCallMoreNamesThanTheCacheKeeps() {
        StringBuilder chunk = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            chunk.append("function f").append(i).append("() return ").append(i).append(" end\n");
        }
        lua.run(chunk.toString());
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 400; i++) {
                assertEquals((long) i, lua.call("f" + i)[0]);
            }
        }
        assertEquals("ok", lua.call("string.format", "%s", "ok")[0], "dotted names take the helper");
    }

    @Test
    void shouldCallBackInFromAJavaFunctionThroughTheFastPath() {
        lua.run("function inc(x) return x + 1 end");
        lua.register("twice", args -> (Long) lua.call("inc", lua.call("inc", args[0])[0])[0]);
        lua.run("function loop(n) local s = 0 for i = 1, n do s = twice(s) end return s end");
        assertEquals(2000L, lua.call("loop", 1000L)[0]);
    }

    @Test
    void shouldReturnPlainResultsAboveTheArgumentsAndManyResults() {
        lua.register("swap", args -> new Object[] {args[1], args[0], args.length});
        assertArrayEquals(new Object[] {2L, 1L, 2L, 3L},
                lua.run("local a, b, n = swap(1, 2) return a, b, n, select('#', swap(1, 2))"));
        Object[] many = IntStream.rangeClosed(1, 100).mapToObj(i -> (Object) (long) i).toArray();
        lua.register("many", args -> many);
        assertArrayEquals(new Object[] {100L, 1L, 100L},
                lua.run("local t = {many(1, 2, 3)} return #t, t[1], t[100]"));
        lua.register("none", args -> new Object[0]);
        assertEquals(0L, lua.run("return select('#', none(1, 2, 3))")[0]);
        lua.register("inexact", args -> java.math.BigInteger.ONE.shiftLeft(70));
        var e = assertThrows(LuaException.class, () -> lua.run("return inexact(1, 2)"));
        assertTrue(e.luaMessage().contains("result 1: 1180591620717411303424 fits neither"), e.luaMessage());
        lua.register("wide", args -> 9007199254740993L);
        assertEquals(9007199254740993L, lua.run("return wide(1, 2)")[0], "beyond 2^53: an int64_t, exact");
    }
}
