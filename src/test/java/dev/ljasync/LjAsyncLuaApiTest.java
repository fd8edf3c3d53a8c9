package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * lj-async's Lua API beyond its README and the fork's scripts: callbacks made in Lua called by native threads,
 * errors, refusals, cancellation, results, sandboxes and the freeing of what Lua code drops.
 */
@Timeout(60)
class LjAsyncLuaApiTest {

    @Test
    void shouldSortFromFourJavaThreadsWithAComparatorMadeInLua() throws Exception {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofShared()) {
            Object[] made = lua.run("""
                    local ffi = require "ffi"
                    local Compare_t = require "lj-async.callback"("int(*)(const void *, const void *)")
                    compare = Compare_t(function(a, b)
                      local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
                      return x < y and -1 or (x > y and 1 or 0)
                    end)
                    return ffi.cast("uintptr_t", compare:funcptr())""");
            MemorySegment comparator = MemorySegment.ofAddress((Long) made[0]);
            int n = 20_000;
            List<int[]> expected = new ArrayList<>();
            List<MemorySegment> arrays = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int[] values = new Random(t).ints(n).toArray();
                arrays.add(arena.allocateFrom(JAVA_INT, values));
                Arrays.sort(values);
                expected.add(values);
            }
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> sorters = new ArrayList<>();
            for (MemorySegment array : arrays) {
                sorters.add(Thread.ofPlatform().start(() -> {
                    try {
                        NativeCallers.qsort(array, n, JAVA_INT.byteSize(), comparator);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread sorter : sorters) {
                sorter.join(50_000);
            }
            assertEquals(List.of(), failures);
            for (int t = 0; t < 4; t++) {
                assertArrayEquals(expected.get(t), arrays.get(t).toArray(JAVA_INT));
            }
            assertEquals(0L, lua.run("return compare:errors()")[0]);
            lua.run("compare:free()");
        }
    }

    @Test
    void shouldBeCalledByPthreadsThatLuaStarts() {
        try (LuaState lua = LuaState.open()) {
            Object[] sums = lua.run("""
                    local ffi = require "ffi"
                    ffi.cdef [[
                      typedef unsigned long ljasync_test_pthread_t;
                      int pthread_create(ljasync_test_pthread_t *, const void *, void *(*)(void *), void *);
                      int pthread_join(ljasync_test_pthread_t, void **);
                    ]]
                    local Start_t = require "lj-async.callback"("void *(*)(void *)")
                    local start = Start_t(function(arg)
                      local cell = ffi.cast("int64_t *", arg)
                      for _ = 1, 1000 do cell[0] = cell[0] + 1 end
                      return arg
                    end)
                    local cells, ids = ffi.new("int64_t[8]"), ffi.new("ljasync_test_pthread_t[8]")
                    for i = 0, 7 do
                      cells[i] = i * 1000000
                      assert(ffi.C.pthread_create(ids + i, nil, start:funcptr(), cells + i) == 0)
                    end
                    local sum, returned = 0, 0
                    local result = ffi.new("void *[1]")
                    for i = 0, 7 do
                      assert(ffi.C.pthread_join(ids[i], result) == 0)
                      if result[0] == ffi.cast("void *", cells + i) then returned = returned + 1 end
                      sum = sum + tonumber(cells[i])
                    end
                    local errors = start:errors()
                    start:free()
                    return sum, returned, errors""");
            assertEquals(28_000_000L + 8 * 1000L, sums[0]);
            assertEquals(8L, sums[1]);
            assertEquals(0L, sums[2]);
        }
    }

    @Test
    void shouldGiveTheFallbackAndKeepTheErrorOfAFailedCall() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Half_t = require "lj-async.callback"("int(*)(int)")
                    local half = Half_t(function(n)
                      if n % 2 == 1 then error("odd: " .. n) end
                      return n / 2
                    end)
                    local f = half:funcptr()
                    local a, b, c = f(8), f(7), f(6)
                    return a, b, c, half:errors(), half:last_error()""");
            assertEquals(4L, outcome[0]);
            assertEquals(0L, outcome[1], "the zero of the result type");
            assertEquals(3L, outcome[2], "the next call runs normally");
            assertEquals(1L, outcome[3]);
            String error = (String) outcome[4];
            assertTrue(error.startsWith("chunk:3: odd: 7"), error);
            assertTrue(error.contains("stack traceback"), error);
        }
    }

    @Test
    void shouldRunSourceTextAsTheCallbackAndRefuseBytecode() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    local Cb_t = require "lj-async.callback"("void(*)(int)")
                    local cb = Cb_t("local n = ... print('got', n * 2)")
                    cb:funcptr()(21)
                    cb:free()""");
            assertEquals(List.of("got\t42"), lines);
            LuaException e = assertThrows(LuaException.class, () -> lua.run("""
                    local Cb_t = require "lj-async.callback"("void(*)(int)")
                    return Cb_t(string.dump(function(n) end))"""));
            assertTrue(e.luaMessage().contains("attempt to load a binary chunk"), e.luaMessage());
        }
    }

    @Test
    void shouldRefuseABadSignatureNamingWhatIsWrong() {
        try (LuaState lua = LuaState.open()) {
            LuaException e = assertThrows(LuaException.class,
                    () -> lua.run("local t = require 'lj-async.callback'('int(*)(int')"));
            assertTrue(e.luaMessage().startsWith("chunk:1: lj-async.callback: int(*)(int is not a C type the FFI"
                    + " knows"), e.luaMessage());
            e = assertThrows(LuaException.class,
                    () -> lua.run("local cb = require 'lj-async.callback'('int')(function() end)"));
            assertTrue(e.luaMessage().startsWith("chunk:1: lj-async.callback: making a callback of type int: it"
                    + " failed in Java: "), e.luaMessage());
            e = assertThrows(LuaException.class,
                    () -> lua.run("local cb = require 'lj-async.callback'('void(*)(int)')(coroutine.create(print))"));
            assertTrue(e.luaMessage().contains("the callback is a function or Lua source text, not a thread"),
                    e.luaMessage());
        }
    }

    @Test
    void shouldCancelAThreadStartedCancellable() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Thread = require "lj-async.thread"
                    local t = Thread({function() while true do end end})
                    assert(t:join(0) == false, "still running")
                    t:cancel()
                    local ended = t:join(10)
                    local plain = Thread(function() end)
                    local ok, problem = pcall(plain.cancel, plain)
                    plain:join()
                    return ended, t:status(), problem""");
            assertEquals(true, outcome[0]);
            assertEquals("cancelled", outcome[1]);
            assertTrue(((String) outcome[2]).contains("was not started cancellable"), (String) outcome[2]);
        }
    }

    @Test
    void shouldReturnTheResultsOfAThreadThroughJoin() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Thread = require "lj-async.thread"
                    local sync = require "ljasync.sync"
                    local go = sync.channel()
                    local t = Thread(function(ud)
                      local n = go:receive()
                      return n, "two", {n + 1}, 2LL^60, ud == nil
                    end)
                    assert(t:join(0) == false)
                    go:send(1)
                    local ok, a, b, c, d, e = t:join()
                    local again = {t:results()}
                    return ok, a, b, c[1], d == 2LL^60, e, #again, t:status()""");
            assertArrayEquals(new Object[] {true, 1L, "two", 2L, true, true, 5L, "finished"}, outcome);
        }
    }

    @Test
    void shouldOpenTheNewStatesWithTheLibrariesOfTheStateThatMadeThem() {
        try (LuaState lua = LuaState.open(LuaState.Library.BASE, LuaState.Library.PACKAGE, LuaState.Library.FFI)) {
            Object[] outcome = lua.run("""
                    local Thread = require "lj-async.thread"
                    local t = Thread(function() return type(io), type(os), type(string), type(require("ffi")) end)
                    return select(2, t:join())""");
            assertArrayEquals(new Object[] {"nil", "nil", "nil", "table"}, outcome);
        }
        try (LuaState lua = LuaState.open(LuaState.Library.BASE, LuaState.Library.PACKAGE)) {
            LuaException e = assertThrows(LuaException.class, () -> lua.run("require 'lj-async.thread'"));
            assertTrue(e.luaMessage().contains("needs LuaJIT's ffi library, which this state did not open"),
                    e.luaMessage());
        }
    }

    @Test
    void shouldCloseTheCallbacksThatLuaCodeDrops() throws Exception {
        try (LuaState lua = LuaState.open()) {
            int before = LjAsync.held();
            lua.run("""
                    local Cb_t = require "lj-async.callback"("int(*)(int)")
                    for i = 1, 200 do
                      local cb = Cb_t(function(n) return n + i end)
                      assert(cb:funcptr()(1) == i + 1)
                    end
                    for _ = 1, 4 do collectgarbage() end""");
            assertEquals(before, LjAsync.held(), "every dropped callback was let go");
        }
    }

    @Test
    void shouldKeepACallbackAliveThroughItsPointerAndRefuseCallsAfterFree() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Cb_t = require "lj-async.callback"("int(*)(int)")
                    local f = Cb_t(function(n) return n * 3 end):funcptr() -- the object itself is dropped at once
                    for _ = 1, 4 do collectgarbage() end
                    local alive = f(5)
                    local cb = Cb_t(function(n) return n + 1 end)
                    local g = cb:funcptr()
                    local before = g(1)
                    cb:free()
                    local after = g(1) -- refused by the closed callback: the zero of int
                    return alive, before, after, cb:errors(), pcall(cb.funcptr, cb)""");
            assertArrayEquals(new Object[] {15L, 2L, 0L, 1L, false, "lj-async.callback: this callback was freed"},
                    outcome); // (no position: pcall called funcptr)
        }
    }
}
