package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LuaExecutor: warm states on worker threads, their results, errors, cancellation and shutdown. The timeouts run the
 * test on a thread of its own: a close() that waits for a worker stuck in a task would ignore the interrupt of a
 * timeout on the same thread, and hang the build instead of failing the test.
 */
class LuaExecutorTest {

    private static final String SETUP = """
            function add(a, b) return a + b end
            function fail(x)
              local y = x + 1
              error("bad " .. y)
            end""";
    // Signals the Java semaphore it is given, then loops until stopped
    private static final String SIGNAL_THEN_LOOP = """
            require("ljasync.sync").wrap((...)):release()
            while true do end""";
    private static final long WAIT = 10;

    private static Object first(CompletableFuture<List<Object>> future) throws Exception {
        return future.get(WAIT, TimeUnit.SECONDS).getFirst();
    }

    private static LuaException luaError(Future<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(WAIT, TimeUnit.SECONDS));
        return assertInstanceOf(LuaException.class, e.getCause());
    }

    /** Waits until a Lua task has released the semaphore: it is running. */
    private static void awaitRunning(Semaphore started) throws InterruptedException {
        assertTrue(started.acquire(Duration.ofSeconds(WAIT)), "the task did not start");
    }

    /** Keeps the (only) worker busy with a Java task until the latch returned is counted down. */
    private static CountDownLatch occupy(LuaExecutor executor) {
        CountDownLatch release = new CountDownLatch(1);
        executor.execute(() -> {
            try {
                release.await(WAIT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return release;
    }

    private static void terminate(LuaExecutor executor) throws InterruptedException {
        executor.shutdownNow();
        assertTrue(executor.awaitTermination(WAIT, TimeUnit.SECONDS), executor + " did not terminate");
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldReturnExactResultsOfManyTasksOnTwoWorkers() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().workers(2).setup(SETUP).build()) {
            List<CompletableFuture<List<Object>>> calls = new ArrayList<>();
            List<CompletableFuture<List<Object>>> chunks = new ArrayList<>();
            for (int i = 1; i <= 2000; i++) {
                calls.add(lua.call("add", i, 1));
                if (i % 10 == 0) {
                    chunks.add(lua.submit("local n = ... return n * n, 'sq', {n = n}", i));
                }
            }
            long sum = 0;
            for (CompletableFuture<List<Object>> call : calls) {
                sum += (Long) first(call);
            }
            assertEquals(2000L * 2001 / 2 + 2000, sum);
            long squares = 0;
            for (CompletableFuture<List<Object>> chunk : chunks) {
                List<Object> results = chunk.get(WAIT, TimeUnit.SECONDS);
                assertEquals("sq", results.get(1));
                LuaTable table = assertInstanceOf(LuaTable.class, results.get(2));
                assertEquals(Math.round(Math.sqrt((Long) results.get(0))), table.get("n"));
                squares += (Long) results.get(0);
            }
            long expected = 0;
            for (int i = 10; i <= 2000; i += 10) {
                expected += (long) i * i;
            }
            assertEquals(expected, squares);
            assertEquals(java.util.Arrays.asList(1L, null, 3L), lua.submit("return 1, nil, 3").get(WAIT,
                    TimeUnit.SECONDS));
            assertEquals(List.of(), lua.submit("local x = 1").get(WAIT, TimeUnit.SECONDS));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldFailWithLuaExceptionsThatNameChunkAndLine() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().setup(SETUP).build()) {
            LuaException chunk = luaError(lua.submit("local x = ...\nerror('boom ' .. x)", 7));
            assertEquals(LuaException.Kind.RUNTIME, chunk.kind());
            assertEquals("task", chunk.chunkName());
            assertEquals(2, chunk.line());
            assertEquals("task:2: boom 7", chunk.luaMessage());
            assertTrue(chunk.traceback().startsWith("stack traceback:"), chunk.traceback());

            LuaException called = luaError(lua.call("fail", 41));
            assertEquals("setup", called.chunkName());
            assertEquals(4, called.line());
            assertEquals("setup:4: bad 42", called.luaMessage());
            assertTrue(called.traceback().contains("setup:4:"), called.traceback());

            assertEquals(LuaException.Kind.SYNTAX, luaError(lua.submit("return +")).kind());
            assertEquals(LuaException.Kind.RUNTIME, luaError(lua.call("missing")).kind());
            ExecutionException noValue = assertThrows(ExecutionException.class,
                    () -> lua.call("add", java.math.BigInteger.TWO.pow(70), 1).get(WAIT, TimeUnit.SECONDS));
            assertInstanceOf(IllegalArgumentException.class, noValue.getCause());
            assertEquals(5L, first(lua.call("add", 2, 3)), "the worker lives on after errors");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRunBytecodeCompiledOnceUnderItsOwnChunkName() throws Exception {
        byte[] bytecode;
        try (LuaState compiler = LuaState.open()) {
            bytecode = compiler.compile("local a, b = ...\nif b == 0 then error('zero') end\nreturn a + b", "sum");
        }
        try (LuaExecutor lua = LuaExecutor.builder().workers(2).build()) {
            List<CompletableFuture<List<Object>>> sums = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                sums.add(lua.submit(bytecode, "sum", i, i));
            }
            long total = 0;
            for (CompletableFuture<List<Object>> sum : sums) {
                total += (Long) first(sum);
            }
            assertEquals(2 * 5050, total);
            LuaException e = luaError(lua.submit(bytecode, "sum", 1, 0));
            assertEquals("sum", e.chunkName());
            assertEquals(2, e.line());
            assertEquals("sum:2: zero", e.luaMessage());
            byte[] source = "return select('#', ...), ...".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            CompletableFuture<List<Object>> echoed = lua.submit(source, "echo", "x", 2);
            java.util.Arrays.fill(source, (byte) ' '); // the task holds a copy
            assertEquals(List.of(2L, "x", 2L), echoed.get(WAIT, TimeUnit.SECONDS));
            assertThrows(NullPointerException.class, () -> lua.submit((byte[]) null, "x"));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldFailBuildWhenTheSetupFails() {
        LuaException e = assertThrows(LuaException.class,
                () -> LuaExecutor.builder().workers(2).setup("local x = 1\nerror('no setup')").build());
        assertEquals("setup", e.chunkName());
        assertEquals(2, e.line());
        assertThrows(IllegalArgumentException.class, () -> LuaExecutor.builder().workers(0));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldSurviveOsExitAndMemoryErrors() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().setup(SETUP)
                .stateOptions(LuaState.builder().memoryLimit(16L << 20)).build()) {
            LuaException exit = luaError(lua.submit("os.exit(3)"));
            assertEquals(LuaException.Kind.EXIT, exit.kind());
            assertEquals(3, exit.exitCode().orElseThrow());
            LuaException memory = luaError(lua.submit("""
                    local t = {}
                    for i = 1, 1e8 do t[i] = string.rep("x", 64) .. i end"""));
            assertEquals(LuaException.Kind.MEMORY, memory.kind());
            assertEquals(5L, first(lua.call("add", 2, 3)), "the same worker and state run the next task");
            assertEquals(6L, first(lua.submit("local t = {} for i = 1, 1000 do t[i] = i end return #t / 200 + 1")));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRunQueuedTasksAfterShutdownAndRejectNewOnes() throws Exception {
        LuaExecutor lua = LuaExecutor.builder().setup(SETUP).build();
        CountDownLatch release = occupy(lua);
        List<CompletableFuture<List<Object>>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(lua.call("add", i, 100));
        }
        Future<String> java = lua.submit(() -> Thread.currentThread().getName());
        lua.shutdown();
        assertTrue(lua.isShutdown());
        assertThrows(RejectedExecutionException.class, () -> lua.call("add", 1, 2));
        assertThrows(RejectedExecutionException.class, () -> lua.submit("return 1"));
        assertThrows(RejectedExecutionException.class, () -> lua.execute(() -> {}));
        assertFalse(lua.awaitTermination(50, TimeUnit.MILLISECONDS), "a task is still running");
        assertFalse(lua.isTerminated());
        release.countDown();
        long sum = 0;
        for (CompletableFuture<List<Object>> task : queued) {
            sum += (Long) first(task);
        }
        assertEquals(45 + 1000, sum);
        assertTrue(java.get(WAIT, TimeUnit.SECONDS).startsWith("lua-executor-"));
        assertTrue(lua.awaitTermination(WAIT, TimeUnit.SECONDS));
        assertTrue(lua.isTerminated());
        lua.shutdown(); // harmless
        assertTrue(lua.shutdownNow().isEmpty());
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldCancelTheRunningTaskAndReturnTheQueuedOnesOnShutdownNow() throws Exception {
        LuaExecutor lua = LuaExecutor.builder().cancellable(true).build();
        Semaphore started = new Semaphore(0);
        CompletableFuture<List<Object>> endless = lua.submit(SIGNAL_THEN_LOOP, started);
        CompletableFuture<List<Object>> second = lua.submit("return 2");
        Runnable javaTask = () -> {};
        lua.execute(javaTask);
        awaitRunning(started);
        long asked = System.nanoTime();
        List<Runnable> never = lua.shutdownNow();
        assertEquals(List.of(second, javaTask), never);
        assertTrue(second.isCancelled());
        assertTrue(endless.isCancelled());
        assertTrue(lua.awaitTermination(WAIT, TimeUnit.SECONDS), "the endless task was not stopped");
        assertTrue(System.nanoTime() - asked < TimeUnit.SECONDS.toNanos(2), "stopping took too long");
        assertThrows(CancellationException.class, endless::join);
        assertThrows(RejectedExecutionException.class, () -> lua.submit("return 1"));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldStopACancelledTaskAndRunTheNextInANewState() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().cancellable(true).setup("count = (count or 0) + 1").build()) {
            assertEquals(1L, first(lua.submit("count = count + 10 return count - 10")));
            Semaphore started = new Semaphore(0);
            CompletableFuture<List<Object>> endless = lua.submit(SIGNAL_THEN_LOOP, started);
            awaitRunning(started);
            assertTrue(endless.cancel(true));
            assertTrue(endless.isCancelled());
            // the cancelled state is closed; a new one ran the setup, without the 10 the first task added
            assertEquals(1L, first(lua.submit("return count")));
            assertFalse(endless.cancel(true), "done already");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldCancelAQueuedTaskWithoutRunningIt() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().build()) {
            CountDownLatch release = occupy(lua);
            CompletableFuture<List<Object>> queued = lua.submit("ran = true");
            assertTrue(queued.cancel(false));
            release.countDown();
            assertEquals(Boolean.FALSE, first(lua.submit("return ran == true")));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldNotCancelARunningTaskOfAnExecutorThatIsNotCancellable() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().build()) {
            Semaphore started = new Semaphore(0);
            Semaphore finish = new Semaphore(0);
            CompletableFuture<List<Object>> task = lua.submit("""
                    local sync = require("ljasync.sync")
                    local started, finish = sync.wrap((select(1, ...))), sync.wrap((select(2, ...)))
                    started:release()
                    assert(finish:acquire(10))
                    return 7""", started, finish);
            awaitRunning(started);
            assertFalse(task.cancel(true));
            finish.release();
            assertEquals(7L, first(task));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldEndATaskPastTheTimeLimitAndLiveOn() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().setup(SETUP)
                .stateOptions(LuaState.builder().timeLimit(Duration.ofMillis(100))).build()) {
            assertEquals(LuaException.Kind.CANCELLED, luaError(lua.submit("while true do end")).kind());
            assertEquals(5L, first(lua.call("add", 2, 3)));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldKeepGlobalsBetweenTasksUnlessReset() throws Exception {
        try (LuaExecutor kept = LuaExecutor.builder().setup(SETUP).build()) {
            kept.submit("x = 42").get(WAIT, TimeUnit.SECONDS);
            assertEquals(42L, first(kept.submit("return x")));
        }
        try (LuaExecutor reset = LuaExecutor.builder().setup(SETUP + "\nlimit = 3").resetGlobals(true).build()) {
            reset.submit("x = 42; limit = 4; add = nil; print = nil; t = {n = 1}").get(WAIT, TimeUnit.SECONDS);
            assertEquals(java.util.Arrays.asList(null, 3L, "function", "function"), reset.submit(
                    "return x, limit, type(add), type(print)").get(WAIT, TimeUnit.SECONDS));
            assertEquals(5L, first(reset.call("add", 2, 3)));
            reset.submit("limit = 5; z = 1").get(WAIT, TimeUnit.SECONDS); // changed and added, none removed
            assertEquals(java.util.Arrays.asList(3L, null), reset.submit("return limit, z").get(WAIT,
                    TimeUnit.SECONDS));
            luaError(reset.submit("y = 1 error('after a failure too')"));
            assertNull(first(reset.submit("return y")));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRunJavaTasksOnTheWorkersAndSurviveTheirExceptions() throws Exception {
        AtomicReference<Throwable> uncaught = new AtomicReference<>();
        CountDownLatch reported = new CountDownLatch(1);
        try (LuaExecutor lua = LuaExecutor.builder().name("mixed").build()) {
            lua.execute(() -> {
                Thread.currentThread().setUncaughtExceptionHandler((t, e) -> {
                    uncaught.set(e);
                    reported.countDown();
                });
                throw new IllegalStateException("from a Java task");
            });
            assertTrue(reported.await(WAIT, TimeUnit.SECONDS));
            assertEquals("from a Java task", uncaught.get().getMessage());
            assertEquals("mixed-1", lua.submit(() -> Thread.currentThread().getName()).get(WAIT, TimeUnit.SECONDS));
            assertTrue(lua.submit(() -> Thread.currentThread().isDaemon()).get(WAIT, TimeUnit.SECONDS),
                    "a worker left running must not keep the JVM alive");
            assertEquals(List.of(3, 4), lua.invokeAll(List.of(() -> 3, () -> 4)).stream().map(f -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).toList());
            Future<?> closing = lua.submit(lua::close);
            ExecutionException e = assertThrows(ExecutionException.class, () -> closing.get(WAIT, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals(5L, first(lua.submit("return 5")));
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldStopEveryCancelledTaskWhateverMomentCancelComes() throws Exception {
        try (LuaExecutor lua = LuaExecutor.builder().workers(2).cancellable(true).setup(SETUP).build()) {
            List<CompletableFuture<List<Object>>> tasks = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                CompletableFuture<List<Object>> task = lua.submit("while true do end");
                if (i % 3 == 1) {
                    Thread.onSpinWait(); // as a worker takes it
                } else if (i % 3 == 2) {
                    Thread.sleep(0, 300_000); // once it runs, or as it starts
                }
                int n = i;
                assertTrue(task.cancel(true), () -> "cancel " + n + ": the task ended " + task.state() + ", "
                        + (task.state() == Future.State.FAILED ? task.exceptionNow() : task.resultNow()));
                tasks.add(task);
            }
            // each task is cancelled, and no worker is left looping: both answer
            for (CompletableFuture<List<Object>> task : tasks) {
                assertTrue(task.isCancelled());
            }
            CountDownLatch bothFree = new CountDownLatch(2);
            List<Future<Boolean>> meetings = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                meetings.add(lua.submit(() -> {
                    bothFree.countDown();
                    return bothFree.await(WAIT, TimeUnit.SECONDS);
                }));
            }
            for (Future<Boolean> meeting : meetings) {
                assertTrue(meeting.get(2 * WAIT, TimeUnit.SECONDS), "a worker is still running a cancelled task");
            }
            List<CompletableFuture<List<Object>>> after = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                after.add(lua.call("add", i, 0));
            }
            long sum = 0;
            for (CompletableFuture<List<Object>> task : after) {
                sum += (Long) first(task);
            }
            assertEquals(190L, sum);
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldNotBeStoppedByHostileTasks() throws Exception {
        LuaExecutor lua = LuaExecutor.builder().workers(2).cancellable(true).setup(SETUP).build();
        try {
            List<CompletableFuture<List<Object>>> hostile = List.of(
                    lua.submit("local function f() return f() + 1 end return f()"),
                    lua.submit("while true do pcall(error, 'x') end"),
                    lua.submit("setmetatable(_G, {__index = function() error('no') end}) return nosuch"),
                    lua.submit("coroutine.wrap(function() while true do end end)()"));
            Thread.sleep(100);
            for (CompletableFuture<List<Object>> task : hostile) {
                task.cancel(true);
            }
            for (CompletableFuture<List<Object>> task : hostile) {
                assertTrue(task.isDone());
            }
            assertEquals(5L, first(lua.call("add", 2, 3)));
        } finally {
            terminate(lua);
        }
    }
}
