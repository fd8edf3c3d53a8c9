package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A Lua function copied into a new state with its upvalues (ljasync.copy), through the Java API that takes a
 * LuaValue: what crosses, what is kept (shared parts, cycles, shared upvalues, metatables), and what is refused.
 */
@Timeout(60)
class FunctionCopyTest {

    private static final CallbackType INT_TO_INT = CallbackType.of("int(*)(int)");
    private static final Duration LONG_ENOUGH = Duration.ofSeconds(20);

    private static int call(Callback cb, int n) throws Throwable {
        MethodHandle call = NativeCallers.downcall(cb);
        return (int) call.invokeExact(n);
    }

    @Test
    void shouldCopyScalarUpvaluesTablesAndOtherFunctions() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local k, name, big = 3, "four", 2LL^40
                    local weights = {1, 2, {inner = 10}}
                    local function helper(n) return n * k end
                    function f(n)
                      return helper(n) + #name + weights[2] + weights[3].inner + tonumber(big / 2LL^40)
                    end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("f"))) {
                assertEquals(3 * 5 + 4 + 2 + 10 + 1, call(cb, 5));
                assertEquals(0, cb.errorCount());
            }
        }
    }

    @Test
    void shouldKeepSharedPartsCyclesAndMetatables() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local shared = {n = 1}
                    local pair = {a = shared, b = shared}
                    local ring = {}
                    ring.self = ring
                    local Point = {}
                    Point.__index = Point
                    function Point.sum(p) return p.x + p.y end
                    local point = setmetatable({x = 20, y = 22}, Point)
                    function f(n)
                      pair.a.n = pair.a.n + n -- pair.b sees it: one table
                      return pair.b.n * 1000 + (ring.self.self == ring and 100 or 0) + point:sum()
                    end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("f"))) {
                assertEquals((1 + 1) * 1000 + 100 + 42, call(cb, 1));
                assertEquals((1 + 1 + 5) * 1000 + 100 + 42, call(cb, 5));
            }
        }
    }

    @Test
    void shouldKeepRecursionAndUpvaluesSharedBetweenFunctions() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local function fact(n) return n <= 1 and 1 or n * fact(n - 1) end
                    local count = 0
                    local function bump() count = count + 1 end
                    local function read() return count end
                    function f(n)
                      bump(); bump()
                      return fact(n) + read() -- bump and read share count: the copy does too
                    end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("f"))) {
                assertEquals(120 + 2, call(cb, 5));
                assertEquals(6 + 4, call(cb, 3));
            }
            assertEquals(0L, lua.run("return (debug.getupvalue(f, 3) and 0)")[0], "the original is untouched");
        }
    }

    @Test
    void shouldRequireLoadedModulesAndFindCFunctionsByName() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local ffi, floor, format, insert = require("ffi"), math.floor, string.format, table.insert
                    local print_ = print
                    function f(n)
                      local t = {}
                      insert(t, format("%d", floor(n / 2)))
                      return tonumber(t[1]) + ffi.sizeof("int32_t") + (print_ == print and 1000 or 0)
                    end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("f"))) {
                assertEquals(3 + 4 + 1000, call(cb, 7));
            }
        }
    }

    @Test
    void shouldShareSyncObjectsAndPassPointersAsAddresses() throws Throwable {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocateFrom(JAVA_INT, 5);
            lua.set("cell", cell);
            lua.run("""
                    local sync, ffi = require("ljasync.sync"), require("ffi")
                    local ch = sync.channel()
                    local p = ffi.cast("int *", cell)
                    function f(n)
                      ch:send(n * 2)
                      p[0] = p[0] + n
                      return 0
                    end
                    function received() return ch:receive(0) end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("f"))) {
                call(cb, 21);
            }
            assertEquals(42L, lua.run("return received()")[0]);
            assertEquals(26, cell.get(JAVA_INT, 0));
        }
    }

    @Test
    void shouldCallAnInitFunctionWithTheInitArgs() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local base = 100
                    function init(k) return function(n) return base + n * k end end
                    function not_init(k) return k end""");
            try (Callback cb = INT_TO_INT.create(lua.reference("init"), 3)) {
                assertEquals(100 + 21, call(cb, 7));
            }
            var e = assertThrows(IllegalArgumentException.class,
                    () -> INT_TO_INT.create(lua.reference("not_init"), 5).close());
            assertEquals("an init function (called with the init args) must return the callback function, but it"
                    + " returned a number value", e.getMessage());
        }
    }

    @Test
    void shouldRefuseWhatCannotCrossNamingTheUpvalue() {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local co = coroutine.create(function() end)
                    function uses_coroutine() return co end
                    local object = newproxy(true)
                    function uses_userdata() return object end
                    local int_t = require("ffi").typeof("int")
                    function uses_ctype() return int_t end
                    local nested = {deep = {co}}
                    function uses_nested() return nested end
                    a_table = {}""");
            var e = assertThrows(IllegalArgumentException.class,
                    () -> INT_TO_INT.create(lua.reference("uses_coroutine")));
            assertTrue(e.getMessage().contains("upvalue 'co' of function <chunk:2> is a thread"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create(lua.reference("uses_userdata")));
            assertTrue(e.getMessage().contains("upvalue 'object' of function <chunk:4> is a full userdata"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create(lua.reference("uses_ctype")));
            assertTrue(e.getMessage().contains("upvalue 'int_t' of function <chunk:6> is a cdata of type"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create(lua.reference("uses_nested")));
            assertTrue(e.getMessage().contains("upvalue 'nested' of function <chunk:8>.deep[1] is a thread"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> INT_TO_INT.create(lua.reference("a_table")));
            assertTrue(e.getMessage().contains("made from a Lua function, not from a table"), e.getMessage());
        }
    }

    @Test
    void shouldSpawnAThreadWithArgumentsAndStartOneWithUserdata() throws Exception {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofConfined()) {
            lua.run("""
                    local offset = 1000
                    function work(a, b) return a + b + offset, "done" end
                    function body(ud)
                      local p = require("ffi").cast("int *", ud)
                      p[0] = p[0] + offset
                      return p[0]
                    end""");
            try (LuaThread thread = LuaThread.spawn(lua.reference("work"), 20, 22)) {
                assertTrue(thread.join(LONG_ENOUGH));
                assertEquals(List.of(1042L, "done"), thread.results());
            }
            MemorySegment cell = arena.allocateFrom(JAVA_INT, 7);
            try (LuaThread thread = LuaThread.start(lua.reference("body"), cell)) {
                assertTrue(thread.join(LONG_ENOUGH));
                assertEquals(1007L, thread.result());
            }
        }
    }
}
