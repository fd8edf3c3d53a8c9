package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/** LuaThread results as Java values, the future of a thread, and threads started without userdata. */
class LuaThreadResultsTest {

    private static final Duration LONG_ENOUGH = Duration.ofSeconds(30);
    private static final long SECONDS = 30;

    /** Waits for one message on the channel passed as the init arg, then returns it and "done". */
    private static final String WAIT_FOR_MESSAGE = """
            local channel = require("ljasync.sync").wrap((...))
            return function()
              return channel:receive(), "done"
            end""";

    private static LuaThread.Builder on(boolean nativeThread) {
        return LuaThread.builder().nativeThread(nativeThread);
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldGiveEveryResultAsAJavaValue(boolean nativeThread) throws Exception {
        try (LuaThread thread = on(nativeThread).spawn("""
                return function()
                  local shared = {"x"}
                  return 42, nil, 2.5, "text", "a\\0b", "\\255\\0bytes", true,
                    {1, 2, {name = "inner", [3] = false, list = shared, again = shared}},
                    -9007199254740993LL, 18446744073709551615ULL, nil
                end""")) {
            List<Object> results = thread.future().get(SECONDS, TimeUnit.SECONDS);
            assertEquals(11, results.size(), results::toString);
            assertEquals(42L, results.get(0));
            assertNull(results.get(1));
            assertEquals(2.5, results.get(2));
            assertEquals("text", results.get(3));
            assertEquals("a\0b", results.get(4));
            assertArrayEquals(new byte[] {(byte) 0xFF, 0, 'b', 'y', 't', 'e', 's'}, (byte[]) results.get(5));
            assertEquals(true, results.get(6));
            Map<?, ?> table = (Map<?, ?>) results.get(7);
            assertEquals(Map.of(1L, 1L, 2L, 2L, 3L, Map.of("name", "inner", 3L, false, "list", Map.of(1L, "x"),
                    "again", Map.of(1L, "x"))), table);
            Map<?, ?> inner = (Map<?, ?>) table.get(3L);
            assertSame(inner.get("list"), inner.get("again"), "a table held twice arrives as one");
            assertEquals(-9007199254740993L, results.get(8));
            assertEquals(new BigInteger("18446744073709551615"), results.get(9));
            assertNull(results.get(10));
            assertSame(results, thread.results());
            assertEquals(42L, thread.result());
            assertThrows(UnsupportedOperationException.class, () -> results.set(0, 1L));
        }
    }

    /** A single number takes a path of its own (no channel, no encoder in the thread's state): the same values. */
    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldGiveAResultThatIsOneNumberAsTheSameJavaValue(boolean nativeThread) throws Exception {
        String[] sources = {"7", "-2.5", "2^53", "-2^63", "1e300", "-0.0", "0/0", "1/0"};
        Object[] expected = {7L, -2.5, 9007199254740992L, Long.MIN_VALUE, 1e300, -0.0, Double.NaN,
                Double.POSITIVE_INFINITY};
        for (int i = 0; i < sources.length; i++) {
            try (LuaThread thread = on(nativeThread).spawn("return function() return " + sources[i] + " end")) {
                assertEquals(List.of(expected[i]), thread.future().get(SECONDS, TimeUnit.SECONDS), sources[i]);
            }
            try (LuaState lua = LuaState.open()) {
                assertEquals(expected[i], lua.run("return " + sources[i])[0], "as a LuaState gives " + sources[i]);
            }
        }
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldFailAThreadWhoseResultCannotCrossNamingTheResult(boolean nativeThread) throws Exception {
        try (LuaThread function = on(nativeThread).spawn("return function() return 1, print end");
             LuaThread nested = on(nativeThread).spawn(
                     "return function() return {jobs = {coroutine.create(print)}} end");
             LuaThread cyclic = on(nativeThread).spawn(
                     "return function() local t = {} t.self = t return 'ok', t end")) {
            assertEquals("result 2 of the thread function is a function, which cannot be copied into another state"
                    + " (a thread's results cross into Java as the values of a channel do)", failure(function));
            assertEquals("result 1 of the thread function, at .jobs[1], is a thread, which cannot be copied into"
                    + " another state (a thread's results cross into Java as the values of a channel do)",
                    failure(nested));
            assertTrue(failure(cyclic).startsWith("result 2 of the thread function, at .self, is a table that"
                    + " contains itself"), failure(cyclic));
            var refused = assertThrows(ExecutionException.class, () -> function.future().get(SECONDS,
                    TimeUnit.SECONDS));
            assertSame(function.error().orElseThrow(), refused.getCause());
        }
    }

    private static String failure(LuaThread thread) throws InterruptedException {
        assertTrue(thread.join(LONG_ENOUGH));
        assertEquals(LuaThread.Status.FAILED, thread.status());
        assertThrows(IllegalStateException.class, thread::results);
        return thread.error().orElseThrow().luaMessage();
    }

    @Test
    void shouldReturnResultsFromASandboxWithoutThePackageLibrary() throws Exception {
        try (LuaThread thread = LuaThread.builder()
                .stateOptions(LuaState.builder().libraries(LuaState.Library.STRING))
                .spawn("""
                        local n = ...
                        return function()
                          return n * 2, string.rep("ab", 2), require, package
                        end""", 21)) {
            assertEquals(Arrays.asList(42L, "abab", null, null), thread.future().get(SECONDS, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldSpawnAFunctionWithoutUserdataWhoseInitArgsMayBeSegments(boolean nativeThread) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocate(8);
            try (LuaThread thread = on(nativeThread).spawn("""
                    local ffi = require("ffi")
                    local segment, n = ...
                    return function(...)
                      return select("#", ...), type(segment), ffi.cast("uintptr_t", segment), n
                    end""", cell, 7)) {
                assertTrue(thread.join(LONG_ENOUGH));
                assertEquals(List.of(0L, "userdata", cell.address(), 7L), thread.results());
            }
        }
    }

    @Test
    void shouldSpawnFromBytecode() throws Exception {
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = lua.compile("local a, b = ... return function() return a + b, a .. b end", "adder");
        }
        try (LuaThread thread = LuaThread.spawn(chunk, 1, 2)) {
            assertEquals(List.of(3L, "12"), thread.future().get(SECONDS, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void shouldCompleteTheFutureWhenTheThreadEndsAndBeforeJoinReturns(boolean nativeThread) throws Exception {
        try (Channel release = new Channel();
             LuaThread thread = on(nativeThread).spawn(WAIT_FOR_MESSAGE, release)) {
            CompletableFuture<List<Object>> future = thread.future();
            assertSame(future, thread.future());
            assertThrows(TimeoutException.class, () -> future.get(100, TimeUnit.MILLISECONDS));
            assertFalse(future.isDone());
            // a dependent stage that runs on the thread as it ends, and joins it there
            CompletableFuture<Object> joined = future.thenApply(results -> {
                try {
                    thread.join();
                    assertTrue(thread.join(Duration.ZERO));
                    return thread.result();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            release.send(Map.of("k", 1L));
            assertTrue(thread.join(LONG_ENOUGH));
            assertTrue(future.isDone(), "complete once join returns");
            assertEquals(List.of(Map.of("k", 1L), "done"), future.getNow(null));
            assertEquals(Map.of("k", 1L), joined.get(SECONDS, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldCompleteTheFutureExceptionallyWithTheLuaError(boolean nativeThread) throws Exception {
        try (LuaThread thread = on(nativeThread).name("failing").spawn("return function() error('no luck') end")) {
            var failed = assertThrows(ExecutionException.class, () -> thread.future().get(SECONDS, TimeUnit.SECONDS));
            LuaException e = assertInstanceOf(LuaException.class, failed.getCause());
            assertEquals("failing:1: no luck", e.luaMessage());
            assertSame(thread.error().orElseThrow(), e);
            assertEquals(LuaThread.Status.FAILED, thread.status());
            assertTrue(thread.future().isCompletedExceptionally());
            assertFalse(thread.future().isCancelled());
        }
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void shouldCancelTheFutureWhenTheThreadIsCancelled(boolean nativeThread) throws Exception {
        try (LuaThread thread = on(nativeThread).cancellable(true).spawn("return function() while true do end end")) {
            assertFalse(thread.join(Duration.ofMillis(100)), "the loop runs");
            thread.cancel();
            var cancelled = assertThrows(CancellationException.class, () -> thread.future().get(10, TimeUnit.SECONDS));
            assertTrue(thread.future().isCancelled());
            assertSame(thread.error().orElseThrow(), luaCause(cancelled));
            assertEquals(LuaException.Kind.CANCELLED, thread.error().orElseThrow().kind());
            assertEquals(LuaThread.Status.CANCELLED, thread.status());
        }
    }

    /** The LuaException among the causes of a CancellationException (get() wraps the future's own in another). */
    private static Throwable luaCause(Throwable t) {
        while (t != null && !(t instanceof LuaException)) {
            t = t.getCause();
        }
        return t;
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void shouldCancelTheThreadWhenItsFutureIsCancelled(boolean nativeThread) throws Exception {
        try (Channel never = new Channel();
             LuaThread loop = on(nativeThread).cancellable(true).spawn("return function() while true do end end");
             LuaThread waiter = on(nativeThread).cancellable(true).spawn(WAIT_FOR_MESSAGE, never)) {
            for (LuaThread thread : List.of(loop, waiter)) {
                assertFalse(thread.join(Duration.ofMillis(100)), "the thread runs");
                assertTrue(thread.future().cancel(true));
                assertTrue(thread.future().isCancelled());
                assertTrue(thread.join(Duration.ofSeconds(10)), "stopped after its future was cancelled");
                assertEquals(LuaThread.Status.CANCELLED, thread.status());
                assertFalse(thread.future().cancel(true), "cancelled already");
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldLeaveTheFutureOfAThreadThatCannotBeCancelledToTheThread() throws Exception {
        try (Channel release = new Channel();
             LuaThread thread = LuaThread.spawn(WAIT_FOR_MESSAGE, release)) {
            assertFalse(thread.future().cancel(true));
            assertFalse(thread.future().isDone());
            assertTrue(thread.isAlive());
            release.send(5L);
            assertEquals(List.of(5L, "done"), thread.future().get(SECONDS, TimeUnit.SECONDS));
            assertEquals(LuaThread.Status.FINISHED, thread.status());
        }
    }

    @Test
    void shouldNotCancelAFinishedThreadThroughItsFuture() throws Exception {
        try (LuaThread thread = LuaThread.builder().cancellable(true).spawn("return function() return 1 end")) {
            assertTrue(thread.join(LONG_ENOUGH));
            assertFalse(thread.future().cancel(true));
            assertEquals(List.of(1L), thread.future().getNow(null));
            assertEquals(LuaThread.Status.FINISHED, thread.status());
        }
    }

    /** The thread that {@link #joinFromLua} joins, and what that join threw. */
    private static volatile LuaThread joined;
    private static volatile Throwable joinFailure;

    /** An upcall that the thread's own Lua code calls through the FFI. */
    private static void joinFromLua() {
        try {
            joined.join(Duration.ofSeconds(1));
        } catch (Throwable t) {
            joinFailure = t;
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseAJoinOfAThreadFromItsOwnCode() throws Exception {
        MethodHandle target = MethodHandles.lookup().findStatic(LuaThreadResultsTest.class, "joinFromLua",
                MethodType.methodType(void.class));
        try (Arena arena = Arena.ofShared(); Channel go = new Channel()) {
            MemorySegment stub = Linker.nativeLinker().upcallStub(target, FunctionDescriptor.ofVoid(), arena);
            try (LuaThread thread = LuaThread.spawn("""
                    local ffi = require("ffi")
                    local go, join = require("ljasync.sync").wrap((select(1, ...))), select(2, ...)
                    return function()
                      go:receive()
                      ffi.cast("void (*)(void)", join)()
                      return "after"
                    end""", go, stub)) {
                joined = thread;
                go.send(true);
                assertEquals(List.of("after"), thread.future().get(SECONDS, TimeUnit.SECONDS));
                var refused = assertInstanceOf(IllegalStateException.class, joinFailure);
                assertTrue(refused.getMessage().contains("cannot join itself"), refused.getMessage());
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldJoinManyThreadsThroughTheirFutures() throws Exception {
        List<LuaThread> threads = new ArrayList<>();
        List<CompletableFuture<List<Object>>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            LuaThread thread = LuaThread.spawn("local i = ... return function() return i, i * i end", i);
            threads.add(thread);
            futures.add(thread.future());
        }
        long sum = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(done -> futures.stream().mapToLong(f -> (Long) f.join().get(1)).sum())
                .get(SECONDS, TimeUnit.SECONDS);
        assertEquals(40425, sum); // 0^2 + ... + 49^2
        for (LuaThread thread : threads) {
            thread.close();
        }
    }
}
