package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/** One function pointer called by native threads (pthread_create) and Java threads at once. */
class CallbackConcurrencyTest {

    private static final CallbackType INT_TO_INT = CallbackType.of("int(*)(int)");
    private static final int NATIVE_THREADS = 2, JAVA_THREADS = 2, CALLS_PER_THREAD = 250_000;

    /** Σ (n + 1) for n = 1..calls: what one thread's calls of "return n + 1" add up to. */
    private static long expectedSum(int calls) {
        return (long) calls * (calls + 1) / 2 + calls;
    }

    /**
     * Native threads started with pthread_create run a driver callback (its own states), whose Lua code calls the
     * target pointer in a loop through the FFI: the target is called from native code on threads the JVM did not
     * start. Java threads call it through a downcall at the same time.
     */
    private static void hammer(Callback target) throws Throwable {
        CallbackType start = CallbackType.of("void *(*)(void *)");
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try (Arena arena = Arena.ofConfined();
             Callback driver = start.builder().states(NATIVE_THREADS).create("""
                     local ffi = require("ffi")
                     local target, calls = ...
                     local f = ffi.cast("int (*)(int)", target)
                     return function(out)
                       local sum = 0
                       for n = 1, calls do sum = sum + f(n) end
                       ffi.cast("int64_t *", out)[0] = sum
                     end""", target.funcptr(), (long) CALLS_PER_THREAD)) {
            MethodHandle call = NativeCallers.downcall(target);
            CountDownLatch go = new CountDownLatch(1);
            long[] javaSums = new long[JAVA_THREADS];
            List<Thread> javaThreads = new ArrayList<>();
            for (int t = 0; t < JAVA_THREADS; t++) {
                int index = t;
                javaThreads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        long sum = 0;
                        for (int n = 1; n <= CALLS_PER_THREAD; n++) {
                            sum += (int) call.invokeExact(n);
                        }
                        javaSums[index] = sum;
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            MemorySegment nativeSums = arena.allocate(JAVA_LONG, NATIVE_THREADS);
            long[] pthreads = new long[NATIVE_THREADS];
            go.countDown();
            for (int t = 0; t < NATIVE_THREADS; t++) {
                pthreads[t] = NativeCallers.pthreadCreate(driver.funcptr(), nativeSums.asSlice(t * 8L, 8));
            }
            for (long pthread : pthreads) {
                NativeCallers.pthreadJoin(pthread);
            }
            for (Thread thread : javaThreads) {
                assertTrue(thread.join(Duration.ofSeconds(120)), "Java thread finished");
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            for (int t = 0; t < NATIVE_THREADS; t++) {
                assertEquals(expectedSum(CALLS_PER_THREAD), nativeSums.getAtIndex(JAVA_LONG, t), "native thread " + t);
            }
            for (int t = 0; t < JAVA_THREADS; t++) {
                assertEquals(expectedSum(CALLS_PER_THREAD), javaSums[t], "Java thread " + t);
            }
            assertEquals(0, driver.errorCount());
        }
    }

    @Test
    @Timeout(180)
    void shouldServeAMillionCallsFromNativeAndJavaThreadsOneAtATime() throws Throwable {
        // The state counts its calls without any locking of its own: with calls serialized the count is exact.
        try (Callback target = INT_TO_INT.create("""
                local calls = 0
                return function(n)
                  if n == 0 then return calls end
                  calls = calls + 1
                  return n + 1
                end""")) {
            hammer(target);
            int total = (NATIVE_THREADS + JAVA_THREADS) * CALLS_PER_THREAD;
            assertEquals(total, (int) NativeCallers.downcall(target).invokeExact(0));
            assertEquals(0, target.errorCount());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    @Timeout(180)
    void shouldServeAMillionCallsFromNativeAndJavaThreadsWithAPool(int states) throws Throwable {
        try (Callback target = INT_TO_INT.builder().states(states).create("return function(n) return n + 1 end")) {
            assertEquals(states, target.states());
            hammer(target);
            assertEquals(0, target.errorCount());
        }
    }

    @Test
    @Timeout(60)
    void shouldRunPooledCallsInParallel() throws Throwable {
        // Two calls that each wait for the other can only both finish if they run at the same time.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment arrived = arena.allocate(JAVA_INT, 3);
            try (Callback cb = INT_TO_INT.builder().states(2).create("""
                    local ffi = require("ffi")
                    jit.off() -- the interpreter reads memory on every pass; a trace could keep the value
                    local arrived = ffi.cast("int *", ...)
                    return function(n)
                      arrived[n] = 1
                      local deadline = os.clock() + 20
                      while arrived[1] == 0 or arrived[2] == 0 do
                        if os.clock() > deadline then return -1 end
                      end
                      return 1
                    end""", arrived)) {
                MethodHandle call = NativeCallers.downcall(cb);
                AtomicInteger results = new AtomicInteger();
                Thread one = Thread.ofPlatform().start(() -> results.addAndGet(invoke(call, 1)));
                Thread two = Thread.ofPlatform().start(() -> results.addAndGet(invoke(call, 2)));
                assertTrue(one.join(Duration.ofSeconds(30)) && two.join(Duration.ofSeconds(30)));
                assertEquals(2, results.get());
            }
        }
    }

    private static int invoke(MethodHandle call, int n) {
        try {
            return (int) call.invokeExact(n);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A callback whose Lua code calls its own function pointer through the FFI, n levels deep. */
    private static Callback recursive(int states, MemorySegment self) {
        return INT_TO_INT.builder().states(states).fallback(-1000).onError(e -> {}).create("""
                local ffi = require("ffi")
                local self = ffi.cast("int (**)(int)", ...)
                return function(n)
                  if n == 0 then return 100 end
                  return self[0](n - 1) + 1
                end""", self);
    }

    @Test
    void shouldRefuseAReentrantCallWhenNoOtherStateIsFree() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment self = arena.allocate(ADDRESS);
            try (Callback cb = recursive(1, self)) {
                self.set(ADDRESS, 0, cb.funcptr());
                MethodHandle call = NativeCallers.downcall(cb);
                assertEquals(-999, (int) call.invokeExact(1));
                assertEquals(1, cb.errorCount());
                LuaException refused = cb.lastError().orElseThrow();
                assertEquals(LuaException.Kind.REFUSED, refused.kind());
                assertTrue(refused.getMessage().contains("already inside"), refused.getMessage());
                assertEquals(100, (int) call.invokeExact(0));
            }
        }
    }

    @Test
    void shouldServeAReentrantCallWithAnotherStateOfThePool() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment self = arena.allocate(ADDRESS);
            try (Callback cb = recursive(3, self)) {
                self.set(ADDRESS, 0, cb.funcptr());
                MethodHandle call = NativeCallers.downcall(cb);
                assertEquals(102, (int) call.invokeExact(2));
                assertEquals(0, cb.errorCount());
                assertEquals(-997, (int) call.invokeExact(3)); // the fourth level finds no free state
                assertEquals(1, cb.errorCount());
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldWaitForACallInFlightWhenClosing() throws Throwable {
        List<LuaException> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        Callback cb = INT_TO_INT.builder().fallback(-1).onError(errors::add).create("""
                local ffi = require("ffi")
                ffi.cdef("int usleep(unsigned int usec);")
                return function(n) ffi.C.usleep(n * 1000) return n end""");
        MethodHandle call = NativeCallers.downcall(cb);
        AtomicLong slow = new AtomicLong(), queued = new AtomicLong();
        Thread inFlight = Thread.ofPlatform().start(() -> slow.set(invoke(call, 300)));
        while (!inFlight.isAlive() || inFlight.getState() == Thread.State.NEW) {
            Thread.onSpinWait();
        }
        Thread.sleep(50);
        Thread waiting = Thread.ofPlatform().start(() -> queued.set(invoke(call, 1)));
        Thread.sleep(50);
        long started = System.nanoTime();
        cb.close();
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(inFlight.join(Duration.ofSeconds(10)) && waiting.join(Duration.ofSeconds(10)));
        assertEquals(300, slow.get(), "the call in flight finished normally");
        assertEquals(-1, queued.get(), "the call waiting for the state was refused");
        assertTrue(waitedMillis >= 100, "close waited for the call in flight: " + waitedMillis + " ms");
        assertEquals(LuaException.Kind.REFUSED, errors.get(0).kind());
        assertTrue(errors.get(0).getMessage().contains("closed"), errors.get(0).getMessage());
    }

    /**
     * LuaJIT issue 1498: an FFI callback called from plain C (no Lua frame below it) leaves the VM's current-thread
     * pointer stale, and crashes when one of its traces exits after other coroutines ran. These callbacks enter Lua
     * with lua_pcall, which sets it: here qsort (plain C) calls comparators whose every call resumes a coroutine
     * that lives across calls and takes data-dependent branches (trace exits), from four threads at once.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    @Timeout(120)
    void shouldSurviveCoroutinesAndTraceExitsUnderPlainNativeCallers(int states) throws Throwable {
        int n = 50_000;
        CallbackType compare = CallbackType.of("int (*)(const void *, const void *)");
        try (Callback cb = compare.builder().states(states).create("""
                local ffi = require("ffi")
                local ticks = coroutine.wrap(function()
                  local i = 0
                  while true do i = i + 1; coroutine.yield(i % 3) end
                end)
                return function(a, b)
                  local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
                  local k = ticks()
                  if k == 0 then x = x + 0 elseif k == 1 then y = y * 1 else x, y = x - 0, y + 0 end
                  if (x + y) % 2 == 0 then
                    local co = coroutine.create(function(p, q) coroutine.yield(p < q) return p > q end)
                    local _, less = coroutine.resume(co, x, y)
                    local _, greater = coroutine.resume(co)
                    return less and -1 or (greater and 1 or 0)
                  end
                  return x < y and -1 or (x > y and 1 or 0)
                end""")) {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        int[] data = new java.util.Random(seed).ints(n).toArray();
                        MemorySegment array = arena.allocateFrom(JAVA_INT, data);
                        NativeCallers.qsort(array, n, JAVA_INT.byteSize(), cb.funcptr());
                        java.util.Arrays.sort(data);
                        assertArrayEquals(data, array.toArray(JAVA_INT));
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread thread : threads) {
                assertTrue(thread.join(Duration.ofSeconds(100)));
            }
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertEquals(0, cb.errorCount(), () -> cb.lastError().map(Throwable::getMessage).orElse(""));
        }
    }
}
