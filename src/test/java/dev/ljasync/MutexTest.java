package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** Mutexes shared by Lua states on native threads, Lua states driven from Java, and Java threads. */
class MutexTest {

    // a chunk returning a function that adds 1 to an int64_t `times` times, each time under the mutex
    private static final String INCREMENT = """
            local ffi, sync = require("ffi"), require("ljasync.sync")
            local mutex, counter, times = sync.wrap((...)), ffi.cast("int64_t *", (select(2, ...))), select(3, ...)
            return function()
              for _ = 1, times do
                mutex:lock()
                counter[0] = counter[0] + 1
                mutex:unlock()
              end
            end""";

    @Test
    @Timeout(120)
    void shouldCountAMillionIncrementsFromLuaStatesAndJavaExactlyUnderAMutex() throws Throwable {
        int nativeThreads = 2, times = 250_000; // and one Lua state run by a Java thread, and one Java thread
        Mutex mutex = new Mutex();
        try (Arena arena = Arena.ofShared();
             LuaState lua = LuaState.open()) {
            MemorySegment counter = arena.allocate(JAVA_LONG);
            // native threads (pthread_create) calling a callback with a state for each, as native code would
            try (Callback body = CallbackType.of("void *(*)(void *)").builder().states(nativeThreads)
                    .create(INCREMENT, mutex, counter, times)) {
                CountDownLatch go = new CountDownLatch(1);
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                Thread luaFromJava = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        lua.run("return (function(...) " + INCREMENT + " end)(...)()", "increment", mutex, counter,
                                times);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                });
                Thread java = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < times; i++) {
                            mutex.lock();
                            try {
                                counter.set(JAVA_LONG, 0, counter.get(JAVA_LONG, 0) + 1);
                            } finally {
                                mutex.unlock();
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                });
                go.countDown();
                long[] pthreads = new long[nativeThreads];
                for (int t = 0; t < nativeThreads; t++) {
                    pthreads[t] = NativeCallers.pthreadCreate(body.funcptr(), MemorySegment.NULL);
                }
                for (long pthread : pthreads) {
                    NativeCallers.pthreadJoin(pthread);
                }
                assertTrue(luaFromJava.join(Duration.ofSeconds(60)) && java.join(Duration.ofSeconds(60)));
                assertTrue(failures.isEmpty(), () -> "failures: " + failures);
                assertEquals(0, body.errorCount(), () -> body.lastError().toString());
            }
            assertEquals(1_000_000L, counter.get(JAVA_LONG, 0));
            assertFalse(mutex.isLocked());
        }
    }

    @Test
    @Timeout(30)
    void shouldGiveUpALockAfterAboutItsTimeoutWhileAnotherThreadHoldsIt() throws Exception {
        Mutex mutex = new Mutex();
        mutex.lock();
        try {
            long started = System.nanoTime();
            LuaThread waiter = LuaWorkers.start("waiter", """
                    local mutex = require("ljasync.sync").wrap(...)
                    return function() return mutex:lock(0.3) and 1 or 0 end""", mutex);
            assertTrue(waiter.join(Duration.ofSeconds(10)));
            long elapsed = (System.nanoTime() - started) / 1_000_000;
            assertEquals(0L, waiter.result(), "lock(0.3) returned false");
            assertTrue(elapsed >= 295 && elapsed < 3_000, "gave up after " + elapsed + " ms");
            waiter.close();

            AtomicReference<Object> result = new AtomicReference<>();
            Thread java = Thread.ofPlatform().start(() -> {
                long start = System.nanoTime();
                try {
                    boolean locked = mutex.lock(Duration.ofMillis(200));
                    result.set(List.of(locked, (System.nanoTime() - start) / 1_000_000));
                } catch (InterruptedException e) {
                    result.set(e);
                }
            });
            assertTrue(java.join(Duration.ofSeconds(10)));
            List<?> outcome = (List<?>) result.get();
            assertEquals(false, outcome.get(0));
            long waited = (Long) outcome.get(1);
            assertTrue(waited >= 195 && waited < 3_000, "gave up after " + waited + " ms");
            assertTrue(mutex.isHeldByCurrentThread(), "the holder still holds it");
        } finally {
            mutex.unlock();
        }
        assertTrue(mutex.lock(Duration.ZERO), "free again");
        mutex.unlock();
    }

    @Test
    @Timeout(30)
    void shouldRefuseAnUnlockByAThreadThatDoesNotHoldTheMutex() throws Exception {
        Mutex mutex = new Mutex();
        IllegalMonitorStateException e = assertThrows(IllegalMonitorStateException.class, mutex::unlock);
        assertTrue(e.getMessage().contains("does not hold mutex " + mutex.handle()), e.getMessage());
        try (LuaState lua = LuaState.open()) {
            LuaException error = assertThrows(LuaException.class, () -> lua.run("""
                    local sync = require("ljasync.sync")
                    local mutex = sync.mutex()
                    mutex:unlock()""", "unlock"));
            assertTrue(error.luaMessage().matches("unlock:3: ljasync\\.sync: unlock of mutex \\d+, which this"
                    + " thread does not hold"), error.luaMessage());
        }
        // held by another thread: neither Lua nor Java on this thread may unlock it
        CountDownLatch locked = new CountDownLatch(1), done = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            mutex.lock();
            locked.countDown();
            try {
                done.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            } finally {
                mutex.unlock();
            }
        });
        try (LuaState lua = LuaState.open()) {
            assertTrue(locked.await(10, java.util.concurrent.TimeUnit.SECONDS));
            assertThrows(IllegalMonitorStateException.class, mutex::unlock);
            LuaException error = assertThrows(LuaException.class,
                    () -> lua.run("require('ljasync.sync').wrap(...):unlock()", "unlock", mutex));
            assertTrue(error.luaMessage().contains("which this thread does not hold"), error.luaMessage());
            assertEquals(List.of(true, false), List.of(lua.run("""
                    local mutex = require("ljasync.sync").wrap(...)
                    return mutex:is_locked(), mutex:is_held()""", "state", mutex)));
            assertTrue(mutex.isLocked() && !mutex.isHeldByCurrentThread());
        } finally {
            done.countDown();
            assertTrue(holder.join(Duration.ofSeconds(10)));
        }
        assertFalse(mutex.isLocked());
    }

    @Test
    void shouldBeOwnedByTheThreadWhetherItLocksInLuaOrInJava() {
        Mutex mutex = new Mutex();
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local mutex = require("ljasync.sync").wrap(...)
                    assert(mutex:lock())
                    assert(mutex:lock(0), "reentrant")""", "lock", mutex);
            assertTrue(mutex.isHeldByCurrentThread());
            mutex.unlock();
            assertTrue(mutex.isLocked(), "locked twice, unlocked once");
            lua.run("require('ljasync.sync').wrap(...):unlock()", "unlock", mutex);
            assertFalse(mutex.isLocked());
            assertThrows(IllegalMonitorStateException.class, mutex::unlock);
        }
    }

    @Test
    @Timeout(30)
    void shouldStopWaitingForALockWhenInterrupted() throws Exception {
        Mutex mutex = new Mutex();
        mutex.lock();
        try (LuaState lua = LuaState.open()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    lua.run("require('ljasync.sync').wrap(...):lock()", "lock", mutex);
                } catch (Throwable t) {
                    thrown.set(t);
                    flagKept.set(Thread.interrupted());
                }
            });
            Thread.sleep(200);
            waiter.interrupt();
            assertTrue(waiter.join(Duration.ofSeconds(10)));
            LuaException e = assertInstanceOf(LuaException.class, thrown.get());
            assertTrue(e.luaMessage().contains("lock: interrupted while waiting"), e.luaMessage());
            assertTrue(flagKept.get());
        } finally {
            mutex.unlock();
        }
    }

    @Test
    void shouldRefuseANegativeTimeout() {
        Mutex mutex = new Mutex();
        assertThrows(IllegalArgumentException.class, () -> mutex.lock(Duration.ofSeconds(-1)));
        try (LuaState lua = LuaState.open()) {
            LuaException e = assertThrows(LuaException.class,
                    () -> lua.run("require('ljasync.sync').wrap(...):lock(-1)", "lock", mutex));
            assertTrue(e.luaMessage().contains("a timeout is a number of seconds, 0 or more"), e.luaMessage());
        }
        assertFalse(mutex.isLocked());
    }
}
