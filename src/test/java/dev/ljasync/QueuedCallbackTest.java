package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Queued callbacks called by native threads (pthreads, libuv's thread pool, OpenMP's team): every queued call runs
 * exactly once, in order per producer on one state, and the counts add up exactly.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class QueuedCallbackTest {

    private static final CallbackType VOID_INT = CallbackType.of("void (*)(int)");
    private static final CallbackType VOID_PTR = CallbackType.of("void (*)(void *)");
    private static final Linker LINKER = Linker.nativeLinker();

    /**
     * Counts each call n in hits[n]; with one state, also counts calls of a producer (n / per) that arrive out of
     * order, in last[producers] (last[p] is producer p's latest n, -1 at first).
     */
    private static final String COUNTING = """
            local ffi = require("ffi")
            local hits, last, producers, per = ...
            hits, last = ffi.cast("int32_t *", hits), ffi.cast("int32_t *", last)
            return function(n)
              hits[n] = hits[n] + 1
              local p = math.floor(n / per)
              if n <= last[p] then last[producers] = last[producers] + 1 end
              last[p] = n
            end""";

    /**
     * Counts its runs in gate[2]; its call n = 0 sets gate[0], then waits until gate[1] is set (10 s at most, so that
     * a failed test cannot hold up close for ever).
     */
    private static final String GATED = """
            local ffi = require("ffi")
            ffi.cdef("int usleep(unsigned int)")
            local gate = ffi.cast("volatile int32_t *", ...)
            return function(n)
              gate[2] = gate[2] + 1
              if n == 0 then
                gate[0] = 1
                local waited = 0
                while gate[1] == 0 and waited < 50000 do ffi.C.usleep(200) waited = waited + 1 end
              end
            end""";

    /** Native threads (pthread_create) run a direct driver callback whose Lua code calls the target pointer. */
    private static void fromPthreads(Callback target, int producers, int calls) throws Throwable {
        CallbackType start = CallbackType.of("void *(*)(void *)");
        try (Arena arena = Arena.ofConfined();
             Callback driver = start.builder().states(producers).create("""
                     local ffi = require("ffi")
                     local target = ffi.cast("void (*)(int)", ...)
                     return function(arg)
                       local range = ffi.cast("int64_t *", arg)
                       for n = tonumber(range[0]), tonumber(range[0] + range[1]) - 1 do target(n) end
                     end""", target.funcptr())) {
            MemorySegment ranges = arena.allocate(JAVA_LONG, 2L * producers);
            long[] threads = new long[producers];
            for (int p = 0; p < producers; p++) {
                ranges.setAtIndex(JAVA_LONG, 2L * p, (long) p * calls);
                ranges.setAtIndex(JAVA_LONG, 2L * p + 1, calls);
                threads[p] = NativeCallers.pthreadCreate(driver.funcptr(), ranges.asSlice(16L * p, 16));
            }
            for (long thread : threads) {
                NativeCallers.pthreadJoin(thread);
            }
            assertEquals(0, driver.errorCount());
        }
    }

    private static void assertEachOnce(MemorySegment hits, int calls) {
        for (int n = 0; n < calls; n++) {
            assertEquals(1, hits.getAtIndex(JAVA_INT, n), "the runs of call " + n);
        }
    }

    private static MemorySegment lastSeen(Arena arena, int producers) {
        MemorySegment last = arena.allocate(JAVA_INT, producers + 1);
        for (int p = 0; p < producers; p++) {
            last.setAtIndex(JAVA_INT, p, -1);
        }
        return last;
    }

    @Test
    void shouldRunEveryCallOfTwoPthreadsOnceAndInOrderOnOneState() throws Throwable {
        int producers = 2, calls = 20_000, made = producers * calls;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment hits = arena.allocate(JAVA_INT, made), last = lastSeen(arena, producers);
            // a small queue, so that the producers fill it and wait for room
            try (Callback cb = VOID_INT.builder().queued(64).create(COUNTING, hits, last, producers, calls)) {
                fromPthreads(cb, producers, calls);
                cb.close(); // drains
                assertEachOnce(hits, made);
                assertEquals(0, last.getAtIndex(JAVA_INT, producers), "calls of one producer run out of order");
                assertEquals(new Callback.QueueStats(made, 0, made, 0), cb.queueStats());
                assertEquals(0, cb.errorCount());
            }
        }
    }

    @Test
    void shouldRunEveryCallOfTwoPthreadsOnceOnAPoolOfTwoStates() throws Throwable {
        int producers = 2, calls = 20_000, made = producers * calls;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment hits = arena.allocate(JAVA_INT, made);
            try (Callback cb = VOID_INT.builder().states(2).queued(100).create("""
                    local ffi = require("ffi")
                    local hits = ffi.cast("int32_t *", ...)
                    return function(n) hits[n] = hits[n] + 1 end""", hits)) {
                fromPthreads(cb, producers, calls);
                cb.close();
                assertEachOnce(hits, made);
                assertEquals(new Callback.QueueStats(made, 0, made, 0), cb.queueStats());
            }
        }
    }

    /** libuv's thread pool calls the queued callback as each work item's work_cb, from threads libuv started. */
    @Test
    void shouldRunEveryWorkItemOfLibuvsThreadPoolOnce() throws Throwable {
        int items = 2_000, reqSize = 512; // a uv_work_t is about 128 bytes on 64-bit Linux
        try (Arena arena = Arena.ofShared()) {
            // unloaded with the arena: libuv's destructor then joins its pool threads (at the JVM's exit it would
            // wait for threads the exiting JVM no longer lets run)
            SymbolLookup uv = SymbolLookup.libraryLookup("libuv.so.1", arena);
            MethodHandle loopSize = LINKER.downcallHandle(uv.find("uv_loop_size").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG));
            MethodHandle loopInit = LINKER.downcallHandle(uv.find("uv_loop_init").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS));
            MethodHandle queueWork = LINKER.downcallHandle(uv.find("uv_queue_work").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            MethodHandle run = LINKER.downcallHandle(uv.find("uv_run").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
            MethodHandle loopClose = LINKER.downcallHandle(uv.find("uv_loop_close").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS));
            MemorySegment loop = arena.allocate((long) loopSize.invokeExact(), 16);
            MemorySegment reqs = arena.allocate((long) items * reqSize, 16);
            MemorySegment hits = arena.allocate(JAVA_INT, items);
            // uv_work_t begins with its `void *data`, which holds the item's index here
            try (Callback cb = VOID_PTR.builder().queued(16).create("""
                    local ffi = require("ffi")
                    local hits = ffi.cast("int32_t *", ...)
                    return function(req)
                      local n = tonumber(ffi.cast("intptr_t *", req)[0])
                      hits[n] = hits[n] + 1
                    end""", hits)) {
                assertEquals(0, (int) loopInit.invokeExact(loop));
                for (int n = 0; n < items; n++) {
                    MemorySegment req = reqs.asSlice((long) n * reqSize, reqSize);
                    req.set(JAVA_LONG, 0, n);
                    assertEquals(0, (int) queueWork.invokeExact(loop, req, cb.funcptr(), MemorySegment.NULL));
                }
                assertEquals(0, (int) run.invokeExact(loop, 0)); // UV_RUN_DEFAULT: until every item is done
                assertEquals(0, (int) loopClose.invokeExact(loop));
                cb.close(); // the requests outlive the queued calls: the arena closes after the drain
                assertEachOnce(hits, items);
                assertEquals(new Callback.QueueStats(items, 0, items, 0), cb.queueStats());
            }
        }
    }

    /** OpenMP's team (libgomp's own threads and the calling one) calls a dropping queued callback. */
    @Test
    void shouldCountEveryCallOfAnOpenMpTeamAsRunOrDropped() throws Throwable {
        int regions = 300, team = 4, made = regions * team;
        try (Arena arena = Arena.ofShared()) {
            // loaded for good: libgomp keeps its team's threads waiting in its code after GOMP_parallel returns
            SymbolLookup gomp = SymbolLookup.libraryLookup("libgomp.so.1", Arena.global());
            MethodHandle parallel = LINKER.downcallHandle(gomp.find("GOMP_parallel").orElseThrow(),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
            MemorySegment count = arena.allocate(JAVA_LONG);
            try (Callback cb = VOID_PTR.builder().queued(8, Callback.QueueFull.DROP).create("""
                    local ffi = require("ffi")
                    return function(p)
                      local count = ffi.cast("int64_t *", p)
                      count[0] = count[0] + 1
                    end""")) {
                for (int r = 0; r < regions; r++) {
                    parallel.invokeExact(cb.funcptr(), count, team, 0);
                }
                cb.close();
                Callback.QueueStats stats = cb.queueStats();
                assertEquals(made, stats.queued() + stats.dropped(), () -> "made = queued + dropped: " + stats);
                assertEquals(stats.queued(), stats.ran());
                assertEquals(stats.ran(), count.get(JAVA_LONG, 0), "the calls that really ran");
                assertEquals(0, cb.errorCount(), "a dropped call is not an error");
            }
        }
    }

    @Test
    void shouldRecordEachOverflowInTheFlightRecorder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Throwable {
        java.nio.file.Path file = dir.resolve("overflows.jfr");
        try (Arena arena = Arena.ofShared(); jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("dev.ljasync.QueueOverflow");
            recording.start();
            MemorySegment gate = arena.allocate(JAVA_INT, 3);
            try (Callback cb = VOID_INT.builder().queued(4, Callback.QueueFull.DROP).name("gated")
                    .create(GATED, gate)) {
                MethodHandle call = NativeCallers.downcall(cb);
                holdWorker(call, gate);
                for (int n = 1; n <= 7; n++) {
                    call.invokeExact(n); // 4 fit, 3 overflow
                }
                gate.setAtIndex(JAVA_INT, 1, 1);
            }
            recording.stop();
            recording.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> overflows = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.ljasync.QueueOverflow")).toList();
        assertEquals(3, overflows.size());
        for (jdk.jfr.consumer.RecordedEvent overflow : overflows) {
            assertEquals("gated", overflow.getString("callback"));
            assertEquals(4, overflow.getInt("capacity"));
            assertTrue(overflow.getBoolean("dropped"));
        }
    }

    /** Runs a gated callback's first call (n = 0) and waits until it is running, holding up the worker. */
    private static void holdWorker(MethodHandle call, MemorySegment gate) throws Throwable {
        call.invokeExact(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.getAtIndex(JAVA_INT, 0) == 0) {
            assertTrue(System.nanoTime() < deadline, "the first queued call did not start");
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldDropCallsExactlyWhenTheQueueIsFull() throws Throwable {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment gate = arena.allocate(JAVA_INT, 3);
            try (Callback cb = VOID_INT.builder().queued(4, Callback.QueueFull.DROP).create(GATED, gate)) {
                MethodHandle call = NativeCallers.downcall(cb);
                holdWorker(call, gate);
                for (int n = 1; n <= 7; n++) {
                    call.invokeExact(n); // 4 fit, 3 are dropped; none waits
                }
                assertEquals(new Callback.QueueStats(5, 3, 0, 0), cb.queueStats());
                assertEquals(5, cb.queueStats().pending());
                gate.setAtIndex(JAVA_INT, 1, 1);
                cb.close();
                assertEquals(new Callback.QueueStats(5, 3, 5, 0), cb.queueStats());
                assertEquals(5, gate.getAtIndex(JAVA_INT, 2), "calls that ran");
                assertEquals(0, cb.errorCount());
            }
        }
    }

    @Test
    void shouldMakeTheCallerWaitWhenTheQueueIsFullByDefault() throws Throwable {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment gate = arena.allocate(JAVA_INT, 3);
            try (Callback cb = VOID_INT.builder().queued(2).create(GATED, gate)) {
                MethodHandle call = NativeCallers.downcall(cb);
                holdWorker(call, gate);
                call.invokeExact(1);
                call.invokeExact(2);
                Thread caller = Thread.ofPlatform().start(() -> {
                    try {
                        call.invokeExact(3);
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                });
                assertFalse(caller.join(Duration.ofMillis(200)), "a call to a full queue waits for room");
                assertEquals(Thread.State.TIMED_WAITING, caller.getState());
                gate.setAtIndex(JAVA_INT, 1, 1);
                assertTrue(caller.join(Duration.ofSeconds(10)), "the caller went on once there was room");
                cb.close();
                assertEquals(new Callback.QueueStats(4, 0, 4, 0), cb.queueStats());
                assertEquals(4, gate.getAtIndex(JAVA_INT, 2));
            }
        }
    }

    @Test
    void shouldRefuseACallerWaitingForRoomOnceCloseBegins() throws Throwable {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment gate = arena.allocate(JAVA_INT, 3);
            try (Callback cb = VOID_INT.builder().queued(1).onError(e -> {}).create(GATED, gate)) {
                MethodHandle call = NativeCallers.downcall(cb);
                holdWorker(call, gate);
                call.invokeExact(1);
                Thread caller = Thread.ofPlatform().start(() -> {
                    try {
                        call.invokeExact(2); // waits: the queue of one is full
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                });
                assertFalse(caller.join(Duration.ofMillis(100)), "a call to a full queue waits for room");
                Thread closer = Thread.ofPlatform().start(cb::close);
                assertTrue(caller.join(Duration.ofSeconds(10)), "close let the waiting caller go at once");
                assertEquals(new Callback.QueueStats(2, 1, 0, 0), cb.queueStats());
                assertEquals(LuaException.Kind.REFUSED, cb.lastError().orElseThrow().kind());
                gate.setAtIndex(JAVA_INT, 1, 1);
                assertTrue(closer.join(Duration.ofSeconds(10)));
                assertEquals(new Callback.QueueStats(2, 1, 2, 0), cb.queueStats(), "close ran what was queued");
            }
        }
    }

    /**
     * A queued call whose Lua code calls the same pointer is just queued; with the queue full, the worker's own
     * call cannot wait for itself to make room, and is refused.
     */
    @Test
    void shouldQueueACallFromItsOwnLuaCodeAndRefuseItWhenTheQueueIsFull() throws Throwable {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment self = arena.allocate(ADDRESS), runs = arena.allocate(JAVA_INT, 2);
            ConcurrentLinkedQueue<LuaException> errors = new ConcurrentLinkedQueue<>();
            try (Callback cb = VOID_INT.builder().queued(1).onError(errors::add).create("""
                    local ffi = require("ffi")
                    local self, runs = ...
                    self, runs = ffi.cast("void (**)(int)", self), ffi.cast("int32_t *", runs)
                    return function(n)
                      runs[n] = runs[n] + 1
                      if n == 1 then
                        self[0](0) -- queued: the worker took this call out of the queue before running it
                        self[0](0) -- the queue of one is full again, and this is the worker
                      end
                    end""", self, runs)) {
                self.set(ADDRESS, 0, cb.funcptr());
                NativeCallers.downcall(cb).invokeExact(1);
                // before close: once it has begun, calls that queued calls make are refused as any others
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (cb.queueStats().ran() < 2) {
                    assertTrue(System.nanoTime() < deadline, "the queued calls did not run");
                    Thread.onSpinWait();
                }
                cb.close();
                assertEquals(new Callback.QueueStats(2, 1, 2, 0), cb.queueStats());
                assertEquals(1, runs.getAtIndex(JAVA_INT, 1));
                assertEquals(1, runs.getAtIndex(JAVA_INT, 0));
                assertEquals(1, cb.errorCount());
                LuaException refused = errors.remove();
                assertEquals(LuaException.Kind.REFUSED, refused.kind());
                assertTrue(refused.getMessage().contains("own worker thread"), refused.getMessage());
            }
        }
    }

    @Test
    void shouldDiscardQueuedCallsOnCloseNowAndRefuseLaterCallsWithoutWaiting() throws Throwable {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment gate = arena.allocate(JAVA_INT, 3);
            try (Callback cb = VOID_INT.builder().queued(8).onError(e -> {}).create(GATED, gate)) {
                MethodHandle call = NativeCallers.downcall(cb);
                holdWorker(call, gate);
                for (int n = 1; n <= 5; n++) {
                    call.invokeExact(n);
                }
                AtomicReference<Long> discarded = new AtomicReference<>();
                Thread closer = Thread.ofPlatform().start(() -> discarded.set(cb.closeNow()));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!cb.isClosed()) {
                    assertTrue(System.nanoTime() < deadline, "closeNow did not begin");
                    Thread.onSpinWait();
                }
                call.invokeExact(6); // refused at once, though the queue has room and the worker is busy
                gate.setAtIndex(JAVA_INT, 1, 1);
                assertTrue(closer.join(Duration.ofSeconds(10)));
                assertEquals(5L, discarded.get());
                assertEquals(1, gate.getAtIndex(JAVA_INT, 2), "only the first call ran");
                call.invokeExact(7); // and after close
                assertEquals(new Callback.QueueStats(6, 2, 1, 5), cb.queueStats());
                assertEquals(2, cb.errorCount());
                assertEquals(LuaException.Kind.REFUSED, cb.lastError().orElseThrow().kind());
                assertThrows(IllegalStateException.class, cb::funcptr);
                assertEquals(5L, cb.closeNow(), "a second close does nothing");
            }
        }
    }

    @Test
    void shouldReportErrorsToTheHandlerOnTheWorkerThreadAndRunTheNextCall() throws Throwable {
        List<String> seen = new ArrayList<>();
        AtomicReference<IllegalStateException> closing = new AtomicReference<>();
        AtomicReference<Callback> holder = new AtomicReference<>();
        Callback cb = VOID_INT.builder().queued(16).name("failing").onError(e -> {
            synchronized (seen) {
                seen.add(Thread.currentThread().getName() + ": " + e.kind() + " " + e.luaMessage());
            }
            try {
                holder.get().close(); // from the worker thread: refused
            } catch (IllegalStateException x) {
                closing.set(x);
            }
        }).create("""
                local total = 0
                return function(n)
                  if n < 0 then error("negative: " .. n) end
                  total = total + n
                end""");
        holder.set(cb);
        MethodHandle call = NativeCallers.downcall(cb);
        call.invokeExact(1);
        call.invokeExact(-2);
        call.invokeExact(3);
        cb.close();
        assertEquals(new Callback.QueueStats(3, 0, 3, 0), cb.queueStats());
        assertEquals(1, cb.errorCount());
        assertEquals(List.of("ljasync-queue failing #1: RUNTIME failing:3: negative: -2"), seen);
        assertNotNull(closing.get(), "close from the worker thread is refused");
        assertTrue(closing.get().getMessage().contains("worker thread"), closing.get().getMessage());
    }

    @Test
    void shouldRefuseToQueueACallbackWithAResult() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CallbackType.of("int (*)(int)").builder().queued(16));
        assertEquals("only a callback with a void result can be queued: its caller returns before the Lua function"
                + " runs, so no result can reach it; int (*)(int) returns int", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VOID_INT.builder().queued(0));
        assertThrows(IllegalArgumentException.class, () -> VOID_INT.builder().queued(1 << 21));
        assertThrows(IllegalStateException.class, () -> {
            try (Callback direct = VOID_INT.create("return function() end")) {
                direct.queueStats();
            }
        });
    }
}
