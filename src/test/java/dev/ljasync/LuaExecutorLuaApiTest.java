package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ljasync.sync's executors ({@code sync.executor{...}}), a {@link LuaExecutor} made and used from Lua: results,
 * errors with their traceback, timeouts, cancellation, use after close, and the values that cross. Every wait is
 * bounded.
 */
@Timeout(60)
class LuaExecutorLuaApiTest {

    private static Object[] run(String lua) {
        try (LuaState state = LuaState.open()) {
            return state.run("local sync = require 'ljasync.sync'\n" + lua);
        }
    }

    @Test
    void shouldSumTheResultsOfAThousandTasksExactly() {
        Object[] r = run("""
                local ex = sync.executor{workers = 2, setup = "function square(n) return n * n end"}
                local futures = {}
                for i = 1, 1000 do futures[i] = ex:submit("local a, b = ... return a + b", i, 1) end
                local sum = 0
                for i = 1, 1000 do
                  local ok, v = futures[i]:get(30)
                  assert(ok, v)
                  sum = sum + v
                end
                local ok, squared = ex:call("square", 12):get(30)
                ex:close()
                return sum, ok, squared, futures[1000]:done()""");
        assertArrayEquals(new Object[] {501_500L, true, 144L, true}, r);
    }

    @Test
    void shouldGiveAFailedTasksErrorWithItsTraceback() {
        Object[] r = run("""
                local ex = sync.executor()
                local f = ex:submit("local n = ...\\nerror('no ' .. n)", 7)
                local ok, e = f:get(30)
                local called, missing = ex:call("missing"):get(30)
                local after, five = ex:submit("return 5"):get(30) -- the worker goes on
                ex:close()
                return ok, e, f:done(), called, missing, after, five""");
        assertEquals(false, r[0]);
        String error = (String) r[1];
        assertTrue(error.startsWith("task:2: no 7\nstack traceback:\n"), error);
        assertTrue(error.contains("task:2: in main chunk"), error);
        assertEquals(true, r[2]);
        assertEquals(false, r[3]);
        assertTrue(((String) r[4]).contains("missing"), (String) r[4]);
        assertEquals(true, r[5]);
        assertEquals(5L, r[6]);
    }

    @Test
    void shouldTimeOutAndThenGetTheResult() {
        Object[] r = run("""
                local ex = sync.executor()
                local gate = sync.channel()
                local f = ex:submit("return require('ljasync.sync').wrap(...):receive(30)", gate:handle())
                local a, why = f:get(0)
                local b, why2 = f:get(0.01)
                local done = f:done()
                gate:send("opened")
                local ok, v = f:get(30)
                ex:close()
                return a, why, b, why2, done, ok, v, f:done()""");
        assertArrayEquals(new Object[] {null, "timeout", null, "timeout", false, true, "opened", true}, r);
    }

    @Test
    void shouldCancelAQueuedTaskAndOnACancellableExecutorARunningOne() {
        Object[] r = run("""
                local gate, started = sync.channel(), sync.channel()
                local ex = sync.executor()
                local running = ex:submit([[
                  local sync, started, gate = require('ljasync.sync'), ...
                  sync.wrap(started):send("started")
                  return sync.wrap(gate):receive(30)]], started:handle(), gate:handle())
                local queued = ex:submit("return 2")
                assert(started:receive(30) == "started")
                local c1, c2 = queued:cancel(), running:cancel() -- a running task goes on: not cancellable
                local q, why = queued:get(0)
                gate:send(1)
                local ok, v = running:get(30)
                ex:close()

                local stoppable = sync.executor{cancellable = true}
                local endless = stoppable:submit([[
                  require('ljasync.sync').wrap(...):send("started")
                  while true do end]], started:handle())
                assert(started:receive(30) == "started")
                local c3 = endless:cancel()
                local e, why3 = endless:get(30)
                local after, five = stoppable:submit("return 5"):get(30) -- on a new state
                stoppable:close()
                return c1, c2, q, why, ok, v, c3, e, why3, after, five, queued:done()""");
        assertArrayEquals(new Object[] {true, false, false, "cancelled", true, 1L, true, false, "cancelled", true, 5L,
                true}, r);
    }

    @Test
    void shouldRefuseUseAfterCloseOrShutdownWithAClearError() {
        Object[] r = run("""
                local ex = sync.executor()
                assert(ex:submit("return 1"):get(30))
                ex:close()
                ex:close() -- harmless twice
                local _, closed = pcall(function() local f = ex:submit("return 1") return f end)
                local other = sync.executor()
                other:shutdown()
                local _, shut = pcall(function() local f = other:call("print") return f end)
                local _, bad = pcall(function() local f = ex.submit("return 1") return f end)
                return closed, shut, bad""");
        assertArrayEquals(new Object[] {
                "chunk:6: ljasync.sync: executor:submit: this executor is closed: it takes no new tasks",
                "chunk:9: ljasync.sync: executor:call: this executor is shut down: it takes no new tasks",
                "chunk:10: ljasync.sync: executor:submit needs an executor (call it with a colon: x:submit(...)),"
                        + " not string"}, r);
    }

    @Test
    void shouldCarryArgumentsAndResultsAsAChannelDoes() {
        Object[] r = run("""
                local ex = sync.executor()
                local results = {ex:submit("return select('#', ...), ...", 1.5, nil, "s", {a = {1, 2}}, true):get(30)}
                local _, e = pcall(function() local ok = ex:submit("return 1, function() end"):get(30) return ok end)
                ex:close()
                return results[1], results[2], results[3], results[4], results[5], results[6].a[2], results[7], e""");
        assertArrayEquals(new Object[] {true, 5L, 1.5, null, "s", 2L, true,
                "chunk:4: ljasync.sync: get: it failed in Java: result 2 of the task cannot come back: value is a"
                        + " dev.ljasync.LuaValue, which cannot cross a channel; send null, Boolean, a number,"
                        + " BigInteger, String, byte[], a native MemorySegment (its address), a Map or a List of those"
                        + " (a Channel, Mutex, Semaphore or SharedTable as its handle())"}, r);
    }

    @Test
    void shouldCarryWholeNumbersAsJavaHasThem() {
        Object[] r = run("""
                local ex = sync.executor()
                local ok, a, b, big, small = ex:submit("local a, b = ... return type(a), type(b), 2^60, 5LL", 2^60, 5LL)
                  :get(30)
                ex:close()
                return a, b, type(big), type(small), big == 2^60, small == 5""");
        assertArrayEquals(new Object[] {"cdata", "number", "cdata", "number", true, true}, r);
    }

    @Test
    void shouldRefuseToCopyAnExecutorOrAFuture() {
        Object[] r = run("""
                local ex = sync.executor()
                local f = ex:submit("return 1")
                local _, sent = pcall(function() sync.channel():send({ex}) end)
                local _, future = pcall(function() sync.channel():send(f) end)
                local _, copied = pcall(require("lj-async.thread"), function() return ex end)
                ex:close()
                return sent, future, copied""");
        assertEquals("chunk:4: ljasync.sync: cannot send value[1]: it is an executor, which is shared, not copied:"
                + " send its handle() and sync.wrap() it on the other side", r[0]);
        assertEquals("chunk:5: ljasync.sync: cannot send value: it is a future, which belongs to the state that made"
                + " it", r[1]);
        assertTrue(((String) r[2]).contains("is an executor of ljasync.sync, which is shared, not copied: pass its"
                + " handle() and sync.wrap() it there"), (String) r[2]);
    }

    /** A thread's chunk that wraps the executor handle it is given and sums add(i, 0) for i = 1..100 through it. */
    private static final String SUMMING_THREAD = """
            local sync = require "ljasync.sync"
            local ex = sync.wrap((...))
            return function()
              local sum = 0
              for i = 1, 100 do
                local ok, n = ex:call("add", i, 0):get(30)
                assert(ok, n)
                sum = sum + n
              end
              return sum
            end""";

    private static long joinedSum(List<LuaThread> threads) throws InterruptedException {
        long sum = 0;
        for (LuaThread t : threads) {
            assertTrue(t.join(Duration.ofSeconds(60)), "a thread did not end");
            sum += ((Number) t.results().get(0)).longValue();
        }
        return sum;
    }

    @Test
    void shouldShareAnExecutorWithOtherStatesThroughItsHandle() throws Exception {
        try (LuaState lua = LuaState.open()) {
            long handle = ((Number) lua.run("""
                    local sync = require "ljasync.sync"
                    ex = sync.executor{workers = 2, setup = "function add(a, b) return a + b end"}
                    return ex:handle()""")[0]).longValue();
            List<LuaThread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                threads.add(LuaThread.start(SUMMING_THREAD, MemorySegment.NULL, handle));
            }
            assertEquals(3 * 5050, joinedSum(threads));
            // the state that made it lets its object go: a wrapper in another state still holds the executor
            try (Channel ready = new Channel(); Channel go = new Channel()) {
                LuaThread holder = LuaThread.start("""
                        local sync = require "ljasync.sync"
                        local ex, ready, go = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                        return function()
                          ready:send(true)
                          assert(go:receive(30) == "go")
                          local ok, n = ex:call("add", 20, 22):get(30)
                          return n
                        end""", MemorySegment.NULL, handle, ready.handle(), go.handle());
                assertEquals(true, ready.receive(Duration.ofSeconds(30)));
                lua.run("ex = nil collectgarbage() collectgarbage()");
                go.send("go");
                assertTrue(holder.join(Duration.ofSeconds(30)));
                assertEquals(List.of(42L), holder.results());
            }
            // and once that state is gone too, the executor shuts down and its handle names nothing
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (LjAsync.held(handle) != null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertNull(LjAsync.held(handle));
        }
    }

    @Test
    void shouldShareAJavaExecutorWithLuaUntilJavaShutsItDown() {
        LuaExecutor executor = LuaExecutor.builder().workers(1).setup("function add(a, b) return a + b end").build();
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local sync = require "ljasync.sync"
                    ex = sync.wrap((...))
                    return select(2, ex:call("add", 2, 3):get(30)), ex:handle() == ...""", "chunk", executor.handle());
            assertArrayEquals(new Object[] {5L, true}, r);
            assertEquals(executor.handle(), executor.handle());
            executor.shutdown();
            LuaException e = assertThrows(LuaException.class, () -> lua.run("ex:submit('return 1')", "chunk"));
            assertTrue(e.luaMessage().startsWith("chunk:1: ljasync.sync: submit"), e.luaMessage());
            assertThrows(IllegalStateException.class, executor::handle);
        } finally {
            executor.close();
        }
    }

    @Test
    void shouldCheckTheOptions() {
        Object[] r = run("""
                local errors = {}
                for _, options in ipairs {{worker = 2}, {workers = 0}, {setup = 1}, {cancellable = "yes"},
                    {setup = "error('at setup')"}, "two"} do
                  local _, e = pcall(function() local ex = sync.executor(options) return ex end)
                  errors[#errors + 1] = e
                end
                return unpack(errors)""");
        assertEquals("chunk:5: ljasync.sync: unknown executor option worker (the options are workers, setup,"
                + " reset_globals and cancellable)", r[0]);
        assertEquals("chunk:5: ljasync.sync: an executor's workers must be a whole number from 1 to 2147483647,"
                + " not 0", r[1]);
        assertEquals("chunk:5: ljasync.sync: executor option setup is a string, not a number", r[2]);
        assertEquals("chunk:5: ljasync.sync: executor option cancellable is a boolean, not a string", r[3]);
        assertTrue(((String) r[4]).startsWith("chunk:5: ljasync.sync: executor: it failed in Java: ")
                && ((String) r[4]).contains("setup:1: at setup"), (String) r[4]);
        assertEquals("chunk:5: ljasync.sync: executor takes a table of options, not a string", r[5]);
    }

    @Test
    void shouldOpenTheWorkersStatesWithWhatTheStateThatMadeItOpened() {
        try (LuaState sandbox = LuaState.builder().libraries(LuaState.Library.BASE, LuaState.Library.PACKAGE,
                LuaState.Library.FFI).open()) {
            Object[] r = sandbox.run("""
                    local ex = require("ljasync.sync").executor()
                    local ok, noIo, noOs, noString = ex:submit("return io == nil, os == nil, string == nil"):get(30)
                    ex:close()
                    return ok, noIo, noOs, noString""");
            assertArrayEquals(new Object[] {true, true, true, true}, r);
        }
    }

    @Test
    void shouldResetGlobalsWhenAsked() {
        Object[] r = run("""
                local kept, reset = sync.executor(), sync.executor{reset_globals = true}
                for _, ex in ipairs {kept, reset} do assert(ex:submit("leaked = 1"):get(30)) end
                local _, a = kept:submit("return leaked"):get(30)
                local _, b = reset:submit("return leaked"):get(30)
                kept:close() reset:close()
                return a, b""");
        assertArrayEquals(new Object[] {1L, null}, r);
    }

    @Test
    @Timeout(120)
    void shouldSurviveAStateThatClosesWithItsExecutorsBusy() {
        ChildJvm.run(LuaExecutorLuaApiTest.class, "closedWhileBusy").assertPrinted("20 executors, 200 tasks: survived");
    }

    /**
     * A state makes 20 executors (half of them cancellable), each with 10 tasks that make an executor of their own in
     * their worker's state and wait for it, closes a third of them, and closes with the rest busy and every future
     * held: its executors are shut down as their objects go, and their tasks run to the end on their own.
     */
    static void closedWhileBusy() {
        try (LuaState lua = LuaState.open()) {
            Object[] made = lua.run("""
                    local sync = require "ljasync.sync"
                    keep = {}
                    for i = 1, 20 do
                      local ex = sync.executor{workers = 2, cancellable = i % 2 == 0}
                      for _ = 1, 10 do
                        keep[#keep + 1] = ex:submit([[
                          local inner = require("ljasync.sync").executor()
                          local ok, v = inner:submit("return 1"):get(10)
                          inner:close()
                          return v]])
                      end
                      if i % 3 == 0 then
                        ex:close()
                      end
                    end
                    return #keep""");
            System.out.println("20 executors, " + made[0] + " tasks: survived");
        }
    }

    @Test
    void shouldShutDownAnExecutorWhoseObjectIsCollected() {
        try (LuaState lua = LuaState.open()) {
            int before = LjAsync.held();
            Object[] r = lua.run("""
                    local sync = require "ljasync.sync"
                    local f = sync.executor():submit("return 6 * 7")
                    collectgarbage() collectgarbage() -- the executor: its queued task still runs
                    local ok, v = f:get(30)
                    f = nil
                    collectgarbage() collectgarbage()
                    return ok, v""");
            assertArrayEquals(new Object[] {true, 42L}, r);
            assertEquals(before, LjAsync.held(), "the executor and its future were let go");
        }
    }
}
