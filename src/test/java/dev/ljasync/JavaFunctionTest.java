package dev.ljasync;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JavaFunctionTest extends LuaStateFixture {

    @Test
    void shouldCallAJavaFunctionWithConvertedArguments() {
        List<Object[]> seen = new ArrayList<>();
        lua.register("record", args -> {
            seen.add(args);
            return args.length;
        });
        assertEquals(6L, lua.run("return record(nil, true, 3, 2.5, 'text', '\\255')")[0]);
        assertArrayEquals(new Object[] {null, true, 3L, 2.5, "text", new byte[] {(byte) 0xff}}, seen.get(0));
        assertEquals(0L, lua.run("return record()")[0]);
    }

    @Test
    void shouldReturnSeveralOrNoResults() {
        lua.register("pair", args -> new Object[] {"a", 2});
        lua.register("none", args -> new Object[0]);
        lua.register("nothing", args -> null);
        assertArrayEquals(new Object[] {"a", 2L, 0L, 1L},
                lua.run("local a, b = pair() return a, b, select('#', none()), select('#', nothing())"));
    }

    @Test
    void shouldRegisterIntoAModuleTable() {
        lua.register("mylib.math.add", args -> ((Long) args[0]) + ((Long) args[1]));
        lua.register("mylib.name", args -> "mylib");
        assertArrayEquals(new Object[] {7L, "mylib", "table"},
                lua.run("return mylib.math.add(3, 4), mylib.name(), type(mylib.math)"));
        assertEquals(9L, lua.call("mylib.math.add", 4, 5)[0]);
    }

    @Test
    void shouldLetLuaCatchAJavaExceptionWithItsMessage() {
        lua.register("fail", args -> {
            throw new IllegalStateException("disk is full");
        });
        Object[] r = lua.run("local ok, err = pcall(fail) return ok, err");
        assertEquals(false, r[0]);
        String message = (String) r[1];
        assertTrue(message.contains("java.lang.IllegalStateException: disk is full"), message);
        assertUsable();
    }

    @Test
    void shouldRaiseAnUncaughtJavaExceptionAsLuaExceptionWithCause() {
        IllegalArgumentException thrown = new IllegalArgumentException("bad input");
        lua.register("fail", args -> {
            throw thrown;
        });
        var e = assertThrows(LuaException.class, () -> lua.run("local x = 1\nfail()", "caller"));
        assertEquals(LuaException.Kind.JAVA, e.kind());
        assertSame(thrown, e.getCause());
        assertEquals("caller", e.chunkName());
        assertEquals(2, e.line(), "the error points at the Lua line that called the Java function");
        assertTrue(e.traceback().contains("caller:2"), e.traceback());
        assertUsable();
    }

    @Test
    void shouldPassALuaErrorBackThroughJavaUnchanged() {
        lua.register("viaJava", args -> lua.call("inner"));
        lua.run("function inner()\n error('original')\nend", "inner.lua");
        var e = assertThrows(LuaException.class, () -> lua.run("viaJava()", "outer"));
        assertEquals("inner.lua:2: original", e.luaMessage());
        assertInstanceOf(LuaException.class, e.getCause());
        Object[] caught = lua.run("return pcall(viaJava)");
        assertArrayEquals(new Object[] {false, "inner.lua:2: original"}, caught);
    }

    @Test
    void shouldTurnArgumentsAndResultsWithoutAConversionIntoLuaErrors() {
        lua.register("echo", args -> args[0]);
        lua.register("weird", args -> Long.MAX_VALUE); // no exact Lua number
        Object[] r = lua.run("local ok1, e1 = pcall(echo, {}) local ok2, e2 = pcall(weird) return ok1, e1, ok2, e2");
        assertEquals(false, r[0]);
        assertTrue(((String) r[1]).contains("bad argument #1") && ((String) r[1]).contains("table"), (String) r[1]);
        assertEquals(false, r[2]);
        assertTrue(((String) r[3]).contains("9223372036854775807"), (String) r[3]);
        assertUsable();
    }

    @Test
    void shouldAllowAJavaFunctionToCallBackIntoTheState() {
        lua.register("twiceOf", args -> 2 * (Long) lua.call("base", args[0])[0]);
        lua.run("function base(x) return x + 1 end");
        assertEquals(22L, lua.run("return twiceOf(10)")[0]);
    }

    @Test
    void shouldWorkFromCoroutines() {
        lua.register("square", args -> (Long) args[0] * (Long) args[0]);
        Object[] r = lua.run("""
                local co = coroutine.wrap(function(n)
                  for i = 1, n do coroutine.yield(square(i)) end
                end)
                return co(3), co(), co()
                """);
        assertArrayEquals(new Object[] {1L, 4L, 9L}, r);
    }

    @Test
    void shouldCallBackIntoTheStateFromACoroutine() {
        lua.register("viaJava", args -> lua.call("plusOne", args[0])[0]);
        lua.run("function plusOne(x) local s = 0 for i = 1, 20 do s = s + i end return x + 1 end");
        // many rounds, so that traces are compiled and exited while coroutines switch
        Object[] r = lua.run("""
                local total = 0
                for round = 1, 500 do
                  local co = coroutine.wrap(function(n)
                    local acc = 0
                    for i = 1, n do
                      acc = viaJava(acc)
                      if i % 5 == 0 then coroutine.yield(acc) end
                    end
                    return -acc
                  end)
                  local v = co(20)
                  while v > 0 do v = co() end
                  total = total - v
                end
                return total
                """, "coroutines");
        assertEquals(500L * 20, r[0]);
    }

    @Test
    void shouldRefuseToCloseTheStateFromInsideAJavaFunction() {
        lua.register("closeMe", args -> {
            lua.close();
            return null;
        });
        var e = assertThrows(LuaException.class, () -> lua.run("closeMe()"));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertFalse(lua.isClosed());
        assertUsable();
    }

    @Test
    void shouldServeManyFunctionsAndManyCalls() {
        for (int i = 0; i < 50; i++) {
            long k = i;
            lua.register("f" + i, args -> (Long) args[0] + k);
        }
        // sum over i = 0..49 of 2000 calls returning 1 + i
        assertEquals(2_550_000L, lua.run("local s = 0 for i = 0, 49 do local f = _G['f' .. i]"
                + " for j = 1, 2000 do s = s + f(1) end end return s")[0]);
    }
}
