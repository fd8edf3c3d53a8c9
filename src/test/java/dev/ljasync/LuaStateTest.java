package dev.ljasync;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class LuaStateTest extends LuaStateFixture {

    @Test
    void shouldRunAChunkWithArgumentsAndReturnEveryResult() {
        Object[] r = lua.run("local a, b, c, d, e = ... return a + 1, b * 2, c .. '!', d, not e, nil", "args",
                41L, 1.25, "hi", null, false);
        assertArrayEquals(new Object[] {42L, 2.5, "hi!", null, true, null}, r);
        assertArrayEquals(new Object[0], lua.run("local x = 1"));
    }

    @Test
    void shouldKeepEveryByteOfStrings() {
        assertEquals("a\0b", lua.run("return ...", "nul", "a\0b")[0]);
        assertEquals(3L, lua.run("return #(...)", "len", "a\0b")[0]);
        assertEquals("héllo ✓", lua.run("return ...", "utf8", "héllo ✓")[0]);
        byte[] binary = {(byte) 0xff, 0, (byte) 0xc3, 'x'};
        assertArrayEquals(binary, (byte[]) lua.run("return ...", "binary", (Object) binary)[0]);
        assertEquals(4L, lua.run("return #(...)", "binary", (Object) binary)[0]);
        String big = "x".repeat(100_000) + "\0end";
        assertEquals(big, lua.run("return ...", "big", big)[0]);
    }

    @Test
    void shouldConvertNumbersByLuaRules() {
        assertEquals(9007199254740992L, lua.run("return ...", "n", 9007199254740992L)[0]);
        assertEquals(7L, lua.run("return ...", "n", 7)[0]);
        assertEquals(7L, lua.run("return ...", "n", (short) 7)[0]);
        assertEquals(7L, lua.run("return ...", "n", 7.0)[0]);
        assertEquals(0.5, lua.run("return 1 / 2")[0]);
        assertEquals(-0.0, lua.run("return -0.0")[0]);
        assertEquals(Double.POSITIVE_INFINITY, lua.run("return math.huge")[0]);
        assertTrue(Double.isNaN((Double) lua.run("return 0 / 0")[0]));
        assertEquals(0x1p63, lua.run("return 2^63")[0]);
        assertEquals(Long.MIN_VALUE, lua.run("return -2^63")[0]);
        // beyond 2^53 a double is not exact: such a long crosses as an int64_t cdata, and comes back as it was
        assertArrayEquals(new Object[] {9007199254740993L, "cdata"},
                lua.run("local n = ... return n, type(n)", "n", 9007199254740993L));
        assertEquals(1L, lua.run("return 1")[0], "the state is still usable");
    }

    @Test
    void shouldPassNativeMemoryAsLightUserdata() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(16);
            Object[] r = lua.run("local p = ... return p, type(p)", "ud", segment);
            assertEquals(segment.address(), ((MemorySegment) r[0]).address());
            assertEquals("userdata", r[1]);
            // LuaJIT's FFI reads and writes through it
            lua.run("local ffi = require('ffi') ffi.cast('int32_t*', ...)[1] = 1234", "ffi", segment);
            assertEquals(1234, segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, 1));
        }
        var heap = assertThrows(IllegalArgumentException.class,
                () -> lua.run("return ...", "ud", MemorySegment.ofArray(new byte[4])));
        assertTrue(heap.getMessage().contains("heap"), heap.getMessage());
    }

    @Test
    void shouldRefuseJavaValuesThatHaveNoLuaForm() {
        var big = java.math.BigInteger.ONE.shiftLeft(70);
        var e = assertThrows(IllegalArgumentException.class, () -> lua.run("return ...", "bad", 1, big));
        assertTrue(e.getMessage().contains("argument 2") && e.getMessage().contains("fits neither int64_t nor"),
                e.getMessage());
        assertEquals(0, lua.run("return select('#', ...)", "count").length - 1, "nothing was left on the stack");
    }

    @Test
    void shouldReportResultsThatHaveNoJavaValue() {
        var e = assertThrows(LuaException.class, () -> lua.run("local t = {} for i = 1, 200 do t = {t} end"
                + " return 1, t", "tbl"));
        assertTrue(e.getMessage().contains("result 2") && e.getMessage().contains("more than 100 deep"),
                e.getMessage());
        assertEquals(3L, lua.run("return 3")[0]);
    }

    @Test
    void shouldRunBytecodeFromCompileInAnotherState() {
        byte[] bytecode = lua.compile("local a, b = ... return a * b, jit ~= nil", "product");
        assertEquals(0x1b, bytecode[0], "LuaJIT bytecode starts with ESC");
        try (LuaState other = LuaState.open()) {
            for (int i = 0; i < 100; i++) {
                assertArrayEquals(new Object[] {(long) i * 3, true}, other.run(bytecode, "product", i, 3));
            }
        }
        assertEquals(5L, lua.run("return 2 + 3".getBytes(StandardCharsets.UTF_8), "source bytes")[0]);
        var e = assertThrows(LuaException.class, () -> lua.compile("return +", "broken"));
        assertEquals(LuaException.Kind.SYNTAX, e.kind());
    }

    @Test
    void shouldRefuseBytecodeWhereSourceIsExpected() {
        byte[] bytecode = lua.compile("return 1", "one");
        String asText = new String(bytecode, StandardCharsets.ISO_8859_1);
        // run(String) loads text only: bytecode passed as text is refused, not run
        assertThrows(LuaException.class, () -> lua.run(asText, "text"));
    }

    @Test
    void shouldOpenAllStandardLibrariesByDefault() {
        Object[] r = lua.run("return type(string), type(table), type(math), type(io), type(os), type(debug),"
                + " type(bit), type(jit), type(package), type(require('ffi')), jit.version");
        assertArrayEquals(new Object[] {"table", "table", "table", "table", "table", "table", "table", "table",
                "table", "table", LuaState.luaJitVersion()}, r);
        assertTrue(LuaState.luaJitVersion().startsWith("LuaJIT 2.1"));
    }

    @Test
    void shouldOpenOnlyTheChosenLibraries() {
        try (LuaState small = LuaState.open(LuaState.Library.MATH, LuaState.Library.STRING)) {
            Object[] r = small.run("return type(math), type(string), type(print), io, os, debug, jit, package, bit");
            assertArrayEquals(new Object[] {"table", "table", "function", null, null, null, null, null, null}, r);
            // errors still carry a traceback although the debug library is hidden
            var e = assertThrows(LuaException.class, () -> small.run("error('x')", "nodebug"));
            assertTrue(e.traceback().contains("nodebug:1"), e.traceback());
        }
        try (LuaState ffi = LuaState.open(LuaState.Library.PACKAGE, LuaState.Library.FFI)) {
            assertEquals(3L, ffi.run("local ffi = require('ffi') ffi.cdef('size_t strlen(const char *s);')"
                    + " return tonumber(ffi.C.strlen('abc'))")[0]);
        }
    }

    @Test
    void shouldServeNamesInAStateWithoutTheStringLibrary() {
        try (LuaState bare = LuaState.open(LuaState.Library.MATH)) {
            bare.register("util.half", args -> (Long) args[0] / 2);
            bare.set("settings.depth", 3);
            assertEquals(21L, bare.call("util.half", 42)[0]);
            assertEquals(3L, bare.get("settings.depth"));
            assertEquals(4.0, bare.call("math.sqrt", 16)[0] instanceof Long l ? l.doubleValue() : -1);
            var e = assertThrows(LuaException.class, () -> bare.call("util.missing"));
            assertTrue(e.getMessage().contains("util.missing"), e.getMessage());
        }
    }

    @Test
    void shouldPassManyArgumentsAndLongNames() {
        Object[] args = new Object[5001];
        args[0] = "#";
        for (int i = 1; i < args.length; i++) {
            args[i] = i;
        }
        assertEquals(5000L, lua.call("select", args)[0]);
        Object[] many = lua.run("local t = {} for i = 1, 3000 do t[i] = i end return unpack(t)");
        assertEquals(3000, many.length);
        assertEquals(3000L, many[2999]);
        String name = String.join(".", java.util.Collections.nCopies(60, "deep"));
        lua.set(name, "bottom");
        assertEquals("bottom", lua.get(name));
        lua.register(name + "Fn", a -> a.length);
        assertEquals(3L, lua.call(name + "Fn", 1, 2, 3)[0]);
    }

    @Test
    void shouldRefuseMalformedNames() {
        for (String bad : new String[] {"", "a..b", ".a", "a."}) {
            var e = assertThrows(IllegalArgumentException.class, () -> lua.get(bad), bad);
            assertTrue(e.getMessage().contains("not a name"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> lua.register(bad, args -> null), bad);
        }
        assertUsable();
    }

    @Test
    void shouldGetSetAndCallDottedNames() {
        lua.set("config.limits.size", 10);
        lua.set("answer", 42);
        assertEquals(10L, lua.get("config.limits.size"));
        assertEquals(42L, lua.get("answer"));
        assertNull(lua.get("missing"));
        lua.run("function config.twice(x) return 2 * x end");
        assertEquals(20L, lua.call("config.twice", 10)[0]);
        assertEquals("5-x", lua.call("string.format", "%d-%s", 5, "x")[0]);
        var e = assertThrows(LuaException.class, () -> lua.call("nothing.here", 1));
        assertTrue(e.getMessage().contains("nothing.here"), e.getMessage());
        var notTable = assertThrows(LuaException.class, () -> lua.set("answer.x", 1));
        assertTrue(notTable.getMessage().contains("answer"), notTable.getMessage());
    }

    @Test
    void shouldReportMemoryInUse() {
        long before = lua.memoryUsed();
        lua.run("keep = {} for i = 1, 100000 do keep[i] = i end");
        assertTrue(lua.memoryUsed() > before + 500_000, before + " -> " + lua.memoryUsed());
    }

    @Test
    void shouldRefuseUseAfterCloseAndIgnoreASecondClose() {
        lua.close();
        assertTrue(lua.isClosed());
        var e = assertThrows(IllegalStateException.class, () -> lua.run("return 1"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> lua.call("print"));
        assertThrows(IllegalStateException.class, () -> lua.get("x"));
        assertThrows(IllegalStateException.class, () -> lua.register("f", args -> null));
        assertThrows(IllegalStateException.class, () -> lua.compile("return 1", "c"));
        assertThrows(IllegalStateException.class, lua::memoryUsed);
        assertDoesNotThrow(lua::close);
    }

    @Test
    void shouldRunFinalizersOnClose() {
        int[] collected = {0};
        lua.register("collected", args -> ++collected[0]);
        lua.run("keep = {} for i = 1, 10 do local p = newproxy(true) getmetatable(p).__gc = function() collected() end keep[i] = p end");
        lua.close();
        assertEquals(10, collected[0], "every finalizer ran at close");
    }

    @Test
    void shouldRefuseABadChunkName() {
        assertThrows(IllegalArgumentException.class, () -> lua.run("return 1", "", new Object[0]));
    }
}
