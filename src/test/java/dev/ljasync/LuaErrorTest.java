package dev.ljasync;

import dev.ljasync.internal.lua.FinalizerErrors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Every kind of Lua failure becomes a LuaException and leaves the state usable; none reaches the panic handler. */
class LuaErrorTest extends LuaStateFixture {

    @Test
    void shouldReportASyntaxErrorWithChunkNameAndLine() {
        var e = assertThrows(LuaException.class, () -> lua.run("local a = 1\nlocal b = = 2", "config.lua"));
        assertEquals(LuaException.Kind.SYNTAX, e.kind());
        assertEquals("config.lua", e.chunkName());
        assertEquals(2, e.line());
        assertEquals("config.lua:2: unexpected symbol near '='", e.luaMessage());
        assertEquals("", e.traceback());
        assertUsable();
    }

    @Test
    void shouldReportARuntimeErrorWithItsTraceback() {
        String source = """
                local function inner() error("deep trouble") end
                local function outer() inner() end
                outer()
                """;
        var e = assertThrows(LuaException.class, () -> lua.run(source, "job"));
        assertEquals(LuaException.Kind.RUNTIME, e.kind());
        assertEquals("job:1: deep trouble", e.luaMessage());
        assertEquals("job", e.chunkName());
        assertEquals(1, e.line());
        assertTrue(e.traceback().startsWith("stack traceback:"), e.traceback());
        assertTrue(e.traceback().contains("job:1: in function 'inner'"), e.traceback());
        assertTrue(e.traceback().contains("job:2: in function 'outer'"), e.traceback());
        assertTrue(e.getMessage().contains("deep trouble") && e.getMessage().contains("stack traceback"));
        assertUsable();
    }

    @Test
    void shouldReportErrorValuesThatAreNotStrings() {
        var table = assertThrows(LuaException.class, () -> lua.run("error({code = 7})", "t"));
        assertEquals("(error object is a table value)", table.luaMessage());
        assertEquals(LuaException.Kind.RUNTIME, table.kind());
        var nil = assertThrows(LuaException.class, () -> lua.run("error()", "n"));
        assertEquals("(error object is a nil value)", nil.luaMessage());
        var number = assertThrows(LuaException.class, () -> lua.run("error(42, 0)", "num"));
        assertEquals("42", number.luaMessage());
        var described = assertThrows(LuaException.class, () ->
                lua.run("error(setmetatable({}, {__tostring = function() return 'custom' end}))", "mt"));
        assertEquals("custom", described.luaMessage());
        assertUsable();
    }

    @Test
    void shouldReportAFailingErrorHandler() {
        var e = assertThrows(LuaException.class, () ->
                lua.run("error(setmetatable({}, {__tostring = function() error('worse') end}))", "mt"));
        assertEquals(LuaException.Kind.ERROR_HANDLER, e.kind());
        assertUsable();
    }

    @Test
    void shouldStopRunawayLuaRecursion() {
        var e = assertThrows(LuaException.class,
                () -> lua.run("local function f(n) return 1 + f(n + 1) end return f(1)", "rec"));
        assertEquals(LuaException.Kind.RUNTIME, e.kind());
        assertTrue(e.luaMessage().contains("stack overflow"), e.luaMessage());
        assertUsable();
    }

    /**
     * Each library set leaves the Lua stack at another size when the recursion starts, and OpenResty's luajit2 then
     * grants the message handler more or fewer slots at the overflow, down to none: each is still a stack overflow.
     */
    @Test
    void shouldStopRunawayLuaRecursionWhateverTheLibraries() {
        for (LuaState.Library library : LuaState.Library.values()) {
            LuaState.Library[] libraries = library == LuaState.Library.FFI
                    ? new LuaState.Library[] {library, LuaState.Library.PACKAGE} : new LuaState.Library[] {library};
            try (LuaState state = LuaState.open(libraries)) {
                var e = assertThrows(LuaException.class,
                        () -> state.run("local function f(n) return 1 + f(n + 1) end return f(1)", "rec"));
                assertEquals(LuaException.Kind.RUNTIME, e.kind(), library + ": " + e.getMessage());
                assertTrue(e.luaMessage().contains("stack overflow"), library + ": " + e.luaMessage());
                assertEquals(3L, state.run("return 1 + 2")[0], library + ": the state is usable");
            }
        }
    }

    @Test
    void shouldStopRunawayRecursionThroughJava() {
        lua.register("again", args -> lua.call("down", args[0]));
        lua.run("function down(n) return again(n + 1) end");
        var e = assertThrows(LuaException.class, () -> lua.call("down", 0));
        assertTrue(e.getMessage().startsWith("stack overflow"), e.getMessage());
        assertUsable();
        assertEquals(5L, lua.run("local n = 0 function down(x) n = n + 1 if x < 4 then return again(x + 1) end"
                + " return n end return down(0)")[0]);
    }

    @Test
    void shouldReportOutOfMemoryPastTheLimitAndStayUsable() {
        try (LuaState small = LuaState.builder().memoryLimit(4L << 20).open()) {
            var e = assertThrows(LuaException.class, () ->
                    small.run("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end", "hog"));
            assertEquals(LuaException.Kind.MEMORY, e.kind());
            assertEquals("not enough memory", e.luaMessage());
            small.run("collectgarbage()");
            assertEquals("ok", small.run("return ('o') .. 'k'")[0]);
            assertTrue(small.memoryUsed() < 4L << 20);
        }
        assertThrows(IllegalArgumentException.class, () -> LuaState.builder().memoryLimit(-1));
    }

    @Test
    void shouldSurviveFinalizersThatRaiseWhileJavaPushesValues() {
        // An error in a __gc finalizer during an unprotected allocation would reach LuaJIT's panic handler and end
        // the process; the library pauses the collector while it pushes, so the error surfaces inside lua_pcall.
        lua.run("""
                function spawn(n)
                  for i = 1, n do
                    local p = newproxy(true)
                    getmetatable(p).__gc = function() error('finalizer failed') end
                  end
                end
                function id(...) return ... end
                """, "gc");
        long reportedBefore = FinalizerErrors.reported();
        int failures = 0;
        int successes = 0;
        for (int round = 0; round < 200; round++) {
            try {
                lua.call("spawn", 50);
                lua.call("id", "some text that allocates a string " + round, new byte[256]);
                successes++;
            } catch (LuaException e) {
                assertTrue(e.getMessage().contains("finalizer failed"), e.getMessage());
                failures++;
            }
        }
        assertEquals(200, successes + failures);
        // older LuaJIT builds raise them inside the protected call that ran the collector; builds since 2023 catch
        // them and hand them to the "errfin" VM event, which the library reports to its logger
        assertTrue(failures > 0 || FinalizerErrors.reported() > reportedBefore,
                "finalizer errors were raised inside protected calls, or reported");
        assertUsable();
    }
}
