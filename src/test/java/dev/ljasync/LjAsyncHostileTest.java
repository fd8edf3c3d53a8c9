package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lj-async's Lua API against Lua code that misuses it, each scenario in a child JVM: the JVM must survive, with
 * exact outcomes.
 */
@Timeout(120)
class LjAsyncHostileTest {

    @Test
    void shouldSurviveCancelsAtEveryMomentOfAThreadsLife() {
        ChildJvm.run(LjAsyncHostileTest.class, "cancelsAtEveryMoment").assertPrinted("cancelled 200 of 200");
    }

    @Test
    void shouldSurviveRunawayRecursionInCallbacksAndThreadsMadeInLua() {
        ChildJvm.run(LjAsyncHostileTest.class, "runawayRecursion").assertPrinted("fallback 0, 1 error, thread failed");
    }

    @Test
    void shouldRefuseHostileValuesToCopy() {
        ChildJvm.run(LjAsyncHostileTest.class, "hostileCopies").assertPrinted("refused 3 of 3");
    }

    @Test
    void shouldSurviveObjectsDroppedAndFreedWhileInUse() {
        ChildJvm.run(LjAsyncHostileTest.class, "droppedWhileInUse").assertPrinted("late calls 100, fallback 0");
    }

    /** 200 endless cancellable threads, each cancelled at a different moment; all end CANCELLED. */
    static void cancelsAtEveryMoment() {
        try (LuaState lua = LuaState.open()) {
            Object[] n = lua.run("""
                    local Thread = require "lj-async.thread"
                    local cancelled = 0
                    for i = 1, 200 do
                      local t = Thread({function() while true do end end})
                      for _ = 1, i * 50 do end -- a different moment each time
                      t:cancel()
                      assert(t:join(10), "a cancelled thread did not end")
                      if t:status() == "cancelled" then cancelled = cancelled + 1 end
                      t:destroy()
                    end
                    return cancelled""");
            System.out.println("cancelled " + n[0] + " of 200");
        }
    }

    /** A callback and a thread, made in Lua, whose functions recurse without end. */
    static void runawayRecursion() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Cb_t = require "lj-async.callback"("int(*)(int)")
                    local Thread = require "lj-async.thread"
                    local cb = Cb_t(function(n) local function f(k) return 1 + f(k + 1) end return f(n) end)
                    local r = cb:funcptr()(1)
                    local errors = cb:errors()
                    cb:free()
                    local t = Thread(function() local function f() return 1 + f() end return f() end)
                    t:join()
                    return r, errors, t:status()""");
            System.out.println("fallback " + outcome[0] + ", " + outcome[1] + " error, thread " + outcome[2]);
        }
    }

    /** Values that cannot be copied: nested past the limit, a userdata with a metatable, a coroutine in a cycle. */
    static void hostileCopies() {
        try (LuaState lua = LuaState.open()) {
            Object[] n = lua.run("""
                    local Thread = require "lj-async.thread"
                    local deep = {}
                    local t = deep
                    for _ = 1, 1000 do t.next = {} t = t.next end
                    local proxy = newproxy(true)
                    getmetatable(proxy).__gc = function() end
                    local ring = {co = coroutine.create(print)}
                    ring.self = ring
                    local refused = 0
                    for _, v in ipairs({deep, proxy, ring}) do
                      local ok = pcall(Thread, function() return v end, nil)
                      if not ok then refused = refused + 1 end
                    end
                    return refused""");
            System.out.println("refused " + n[0] + " of 3");
        }
    }

    /**
     * Callbacks dropped while their pointers are called, and freed then called 100 times: late calls get the fallback;
     * threads dropped while they run end on their own.
     */
    static void droppedWhileInUse() {
        try (LuaState lua = LuaState.open()) {
            Object[] outcome = lua.run("""
                    local Cb_t = require "lj-async.callback"("int(*)(int)")
                    local Thread = require "lj-async.thread"
                    for i = 1, 50 do
                      local f = Cb_t(function(n) return n + i end):funcptr()
                      collectgarbage()
                      assert(f(1) == i + 1)
                    end
                    local cb = Cb_t(function(n) return n end)
                    local g = cb:funcptr()
                    cb:free()
                    local sum = 0
                    for _ = 1, 100 do sum = sum + g(7) end
                    for _ = 1, 20 do Thread(function() for _ = 1, 1e5 do end end) end -- dropped at once
                    for _ = 1, 4 do collectgarbage() end
                    return cb:errors(), sum""");
            System.out.println("late calls " + outcome[0] + ", fallback " + outcome[1]);
        }
    }
}
