package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * lj-async.callback's counters and queued callbacks, made from Lua: the counts are exact after calls from native
 * threads (pthreads that Lua starts, in a child JVM), and the options are checked with errors that name the problem.
 */
@Timeout(120)
class LjAsyncCountsTest {

    /**
     * Defines run(n, target, signature, calls): starts n pthreads, each of which calls the function pointer
     * {@code target} (of C type {@code signature}, taking an int) {@code calls} times with 1, 2, ..., then joins them.
     * The pthreads run a callback of pool size n that lj-async.callback makes.
     */
    private static final String PTHREADS = """
            local ffi = require "ffi"
            local CallbackFactory = require "lj-async.callback"
            ffi.cdef [[
              typedef unsigned long ljasync_counts_pthread_t;
              int pthread_create(ljasync_counts_pthread_t *, const void *, void *(*)(void *), void *);
              int pthread_join(ljasync_counts_pthread_t, void **);
            ]]
            local function run(n, target, signature, calls)
              local driver = CallbackFactory("void *(*)(void *)", {states = n})(function(address, sig, count)
                local f = ffi.cast(sig, address)
                return function(arg)
                  for i = 1, count do f(i) end
                  return arg
                end
              end, tonumber(ffi.cast("uintptr_t", target)), signature, calls)
              local ids = ffi.new("ljasync_counts_pthread_t[?]", n)
              for i = 0, n - 1 do
                assert(ffi.C.pthread_create(ids + i, nil, driver:funcptr(), nil) == 0)
              end
              for i = 0, n - 1 do
                assert(ffi.C.pthread_join(ids[i], nil) == 0)
              end
              assert(driver:calls() == n and driver:errors() == 0)
              driver:free()
            end
            """;

    @Test
    void shouldCountExactlyTheCallsOfFourPthreads() {
        ChildJvm.run(LjAsyncCountsTest.class, "countedCalls")
                .assertPrinted("calls 4000, errors 400, refusals 0, waited 0 s or more; after free: 4000 401 1");
    }

    @Test
    void shouldRunOrDropEveryCallOfTwoPthreadsToAQueuedCallbackMadeInLua() {
        ChildJvm.run(LjAsyncCountsTest.class, "queuedCalls")
                .assertPrinted("drop: made 10000 = queued + dropped, all queued ran; block: 10000 ran, 0 dropped");
    }

    /** 4 pthreads call a callback of 2 states 1000 times each; every tenth call fails. */
    static void countedCalls() {
        try (LuaState lua = LuaState.builder().output(System.out::println).open()) {
            lua.run(PTHREADS + """
                    local target = CallbackFactory("int(*)(int)", {states = 2})(function(n)
                      if n % 10 == 0 then error("tenth call " .. n) end
                      return n
                    end)
                    local p = target:funcptr()
                    run(4, p, "int(*)(int)", 1000)
                    local calls, errors, refusals, waited = target:calls(), target:errors(), target:refusals(),
                      target:wait_time()
                    assert(type(waited) == "number" and waited >= 0, tostring(waited))
                    target:free()
                    assert(p(1) == 0) -- refused: the fallback
                    print(("calls %d, errors %d, refusals %d, waited 0 s or more; after free: %d %d %d"):format(calls,
                      errors, refusals, target:calls(), target:errors(), target:refusals()))""");
        }
    }

    /**
     * 2 pthreads call a queued callback 5,000 times each, with a queue of 256 that drops, then one of 64 that
     * blocks; every call made was queued or dropped, and every queued call ran (counted by the callback itself).
     */
    static void queuedCalls() {
        try (LuaState lua = LuaState.builder().output(System.out::println).open()) {
            lua.run(PTHREADS + """
                    local sync = require "ljasync.sync"
                    local function made(options)
                      local seen = sync.table()
                      local cb = CallbackFactory("void(*)(int)", options)(function(n) seen:increment("ran") end)
                      run(2, cb:funcptr(), "void(*)(int)", 5000)
                      cb:free() -- runs what is queued
                      local s = cb:queue_stats()
                      assert(s.discarded == 0 and s.pending == 0 and s.ran == s.queued, "the drain ran all")
                      assert(seen:get("ran") == s.ran and cb:calls() == s.ran, "each queued call ran once")
                      assert(cb:free_now() == 0)
                      return s
                    end
                    local dropping = made({queued = 256, full = "drop", states = 2})
                    assert(dropping.queued + dropping.dropped == 10000, dropping.queued .. " + " .. dropping.dropped)
                    local blocking = made({queued = 64, full = "block"})
                    print(("drop: made %d = queued + dropped, all queued ran; block: %d ran, %d dropped"):format(
                      dropping.queued + dropping.dropped, blocking.ran, blocking.dropped))""");
        }
    }

    @Test
    void shouldDiscardWhatIsQueuedOnFreeNow() {
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local sync = require "ljasync.sync"
                    local started, gate = sync.channel(), sync.channel()
                    local cb = require "lj-async.callback"("void(*)(int)", {queued = 8})(function(n)
                      started:send(n)
                      gate:receive(1) -- bounded: a call that is running when free_now comes finishes
                    end)
                    for i = 1, 5 do cb:funcptr()(i) end
                    assert(started:receive(10) == 1)
                    local discarded = cb:free_now()
                    local s = cb:queue_stats()
                    return discarded, s.queued, s.ran, s.discarded, s.pending, cb:free_now()""");
            long discarded = (Long) r[0], ran = (Long) r[2];
            assertEquals(5L, r[1]);
            assertTrue(ran >= 1 && discarded <= 4, ran + " ran, " + discarded + " discarded");
            assertEquals(5L, ran + discarded, "every queued call ran or was discarded");
            assertEquals(discarded, r[3], "free_now returns what it discarded");
            assertEquals(0L, r[4]);
            assertEquals(0L, r[5], "a second free_now has nothing to discard");
        }
    }

    @Test
    void shouldCountTheCallsOfADirectCallbackAndRefuseItsQueueStats() {
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local half = require "lj-async.callback"("int(*)(int)")(function(n)
                      if n % 2 == 1 then error("odd") end
                      return n / 2
                    end)
                    local f = half:funcptr()
                    local results = f(4) + f(7) + f(10)
                    local ok, e = pcall(half.queue_stats, half)
                    local _, dotted = pcall(function() local n = half.calls() return n end)
                    local counts = {results, half:calls(), half:errors(), half:refusals(), half:wait_time(), e, dotted}
                    half:free()
                    return unpack(counts)""");
            assertArrayEquals(new Object[] {7L, 3L, 1L, 0L, 0L, "lj-async.callback: queue_stats: this"
                    + " callback is not queued (CallbackFactory(signature, {queued = capacity}) makes a queued one)",
                    "chunk:8: lj-async.callback: callback:calls needs a callback (call it with a colon: cb:calls())"},
                    r);
        }
    }

    @Test
    void shouldRefuseBadOptionsWithErrorsThatNameThem() {
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local CallbackFactory = require "lj-async.callback"
                    local errors = {}
                    for _, case in ipairs {
                      {"void(*)(int)", {queue = 8}}, {"void(*)(int)", {queued = 2.5}}, {"void(*)(int)", {queued = 0}},
                      {"void(*)(int)", {full = "drop"}}, {"void(*)(int)", {queued = 8, full = "wait"}},
                      {"void(*)(int)", {states = 0}}, {"int(*)(int)", {queued = 8, full = "drop"}},
                      {"void(*)(int)", "queued"},
                    } do
                      local ok, e = pcall(function() return CallbackFactory(case[1], case[2])(function() end) end)
                      errors[#errors + 1] = e
                    end
                    return unpack(errors)""");
            String prefix = "lj-async.callback: ";
            assertArrayEquals(new Object[] {
                    "chunk:9: " + prefix + "unknown callback option queue (the options are queued, full and states)",
                    "chunk:9: " + prefix + "option queued is the queue's capacity, a whole number from 1 to 1048576,"
                            + " not 2.5",
                    prefix + "making a callback of type void(*)(int): it failed in Java: a queue holds 1 to 1048576"
                            + " calls, not 0",
                    "chunk:9: " + prefix + "option full needs option queued (only a queued callback has a queue to"
                            + " be full)",
                    "chunk:9: " + prefix + "option full is \"block\" or \"drop\", not wait",
                    prefix + "making a callback of type void(*)(int): it failed in Java: a callback needs 1 to 256"
                            + " states, not 0",
                    prefix + "making a callback of type int(*)(int): it failed in Java: only a callback with a void"
                            + " result can be queued: its caller returns before the Lua function runs, so no result"
                            + " can reach it; int (*)(int) returns int",
                    "chunk:9: " + prefix + "the options of a callback type are a table ({queued = capacity, full ="
                            + " \"block\" or \"drop\", states = n}), not a string"}, r);
        }
    }
}
