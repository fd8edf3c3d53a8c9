package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/** Semaphores between Lua threads and Java: signals, bounds on concurrency, timeouts. */
class SemaphoreTest {

    @Test
    @Timeout(30)
    void shouldSignalFromJavaToALuaThreadAndBack() throws Exception {
        Semaphore ready = new Semaphore(0), done = new Semaphore(0);
        LuaThread worker = LuaWorkers.start("worker", """
                local sync = require("ljasync.sync")
                local ready, done = sync.wrap((...)), sync.wrap((select(2, ...)))
                return function()
                  assert(ready:acquire(10), "signalled")
                  done:release()
                end""", ready, done);
        assertFalse(done.acquire(Duration.ofMillis(100)), "the worker waits for the signal");
        ready.release();
        assertTrue(done.acquire(Duration.ofSeconds(10)));
        LuaWorkers.joinAll(Duration.ofSeconds(10), List.of(worker));
    }

    @Test
    @Timeout(60)
    void shouldBoundHowManyThreadsWorkAtOnce() throws Exception {
        int permits = 2, threads = 5;
        Semaphore slots = new Semaphore(permits);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment state = arena.allocate(JAVA_INT, 2); // [0] inside now, [1] most inside at once
            Mutex mutex = new Mutex();
            List<LuaThread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                workers.add(LuaWorkers.start("worker-" + i, """
                        local ffi, sync = require("ffi"), require("ljasync.sync")
                        local slots, mutex = sync.wrap((...)), sync.wrap((select(2, ...)))
                        local state = ffi.cast("int32_t *", (select(3, ...)))
                        ffi.cdef("int usleep(unsigned int usec);")
                        return function()
                          for _ = 1, 20 do
                            slots:acquire()
                            mutex:lock()
                            state[0] = state[0] + 1
                            if state[0] > state[1] then state[1] = state[0] end
                            mutex:unlock()
                            ffi.C.usleep(500)
                            mutex:lock()
                            state[0] = state[0] - 1
                            mutex:unlock()
                            slots:release()
                          end
                        end""", slots, mutex, state));
            }
            LuaWorkers.joinAll(Duration.ofSeconds(50), workers);
            assertEquals(0, state.getAtIndex(JAVA_INT, 0));
            assertEquals(permits, state.getAtIndex(JAVA_INT, 1), "never more than the permits inside at once");
            assertEquals(permits, slots.available());
        }
    }

    @Test
    void shouldCountPermitsAndTimeOutInLua() {
        try (LuaState lua = LuaState.open()) {
            long started = System.nanoTime();
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local s = sync.semaphore(2)
                    local a, b, c = s:acquire(), s:acquire(0), s:acquire(0.1)
                    s:release(3)
                    return a, b, c, s:available(), s:handle() > 0""", "semaphore");
            long elapsed = (System.nanoTime() - started) / 1_000_000;
            assertArrayEquals(new Object[] {true, true, false, 3L, true}, r);
            assertTrue(elapsed >= 95, "waited " + elapsed + " ms for 100");
        }
    }

    @Test
    void shouldRefuseBadPermitsAndTimeouts() {
        assertThrows(IllegalArgumentException.class, () -> new Semaphore(-1));
        Semaphore semaphore = new Semaphore(0);
        assertThrows(IllegalArgumentException.class, () -> semaphore.release(0));
        assertThrows(IllegalArgumentException.class, () -> semaphore.acquire(Duration.ofNanos(-1)));
        semaphore.release(Integer.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, semaphore::release);
        assertEquals(Integer.MAX_VALUE, semaphore.available());
        try (LuaState lua = LuaState.open()) {
            for (String call : List.of("sync.semaphore(-1)", "sync.semaphore(0.5)", "sync.semaphore(0):release(0)",
                    "sync.semaphore(0):acquire(-2)")) {
                LuaException e = assertThrows(LuaException.class,
                        () -> lua.run("local sync = require('ljasync.sync')\n" + call, "bad"));
                assertTrue(e.luaMessage().startsWith("bad:2: ljasync.sync: "), e.luaMessage());
            }
            LuaException e = assertThrows(LuaException.class, () -> lua.run(
                    "require('ljasync.sync').wrap(...):release()", "overflow", semaphore));
            assertTrue(e.luaMessage().contains("release: it failed in Java: releasing 1 permits would make more"
                    + " than 2147483647 free"), e.luaMessage());
        }
    }
}
