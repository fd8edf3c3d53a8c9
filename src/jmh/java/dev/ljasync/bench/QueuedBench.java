package dev.ljasync.bench;

import dev.ljasync.Callback;
import dev.ljasync.CallbackType;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Queued callbacks ({@code Builder.queued}) against direct ones, for {@code void (*)(int)} with a Lua function that
 * counts its calls in native memory: what a queued call costs its native caller (a C loop, the queue never full;
 * with the worker running the calls beside it, and with the worker held) against a direct round trip; how long a
 * call takes from the queue to its run (one call, then waiting for the count) against a Java thread's hand-off of
 * a value to another thread and back; and queue-to-run throughput with one and two native producers (pthreads
 * calling CALLS times each, then waiting until every call has run) against a direct callback called by the same
 * threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class QueuedBench {

    static final CallbackType TYPE = CallbackType.of("void (*)(int)");
    static final String CHUNK = """
            local ffi = require("ffi")
            local count = ffi.cast("int64_t *", ...)
            return function(n) count[0] = count[0] + 1 end""";
    static final int LOOP = 10_000;
    /** Calls per producer and invocation of the throughput cases. */
    static final int CALLS = 200_000;
    private static final int PROBE = 1000;
    private static final VarHandle COUNT = JAVA_LONG.varHandle();

    private final Arena arena = Arena.ofShared();
    private Callback direct, queued;
    private MemorySegment directCount, queuedCount;

    /** A queued callback with room for a whole loop, drained before each invocation: the caller never waits. */
    @State(Scope.Benchmark)
    public static class Roomy {
        private final Arena arena = Arena.ofShared();
        Callback callback;

        @Setup(Level.Trial)
        public void open() {
            callback = TYPE.builder().queued(2 * LOOP).create(CHUNK, arena.allocate(JAVA_LONG));
        }

        @Setup(Level.Invocation)
        public void drain() {
            awaitRun(callback, callback.queueStats().queued());
        }

        @TearDown(Level.Trial)
        public void close() {
            callback.close();
            arena.close();
        }
    }

    /**
     * A queued callback whose worker is held by a call (n = -1) that waits for a gate, for each invocation: the
     * caller's own cost, with no worker running beside it.
     */
    @State(Scope.Benchmark)
    public static class Held {
        private final Arena arena = Arena.ofShared();
        private MemorySegment gate;
        private MethodHandle call;
        Callback callback;

        @Setup(Level.Trial)
        public void open() {
            gate = arena.allocate(JAVA_INT, 2);
            callback = TYPE.builder().queued(2 * LOOP).create("""
                    local ffi = require("ffi")
                    ffi.cdef("int usleep(unsigned int)")
                    local count, gate = ...
                    count, gate = ffi.cast("int64_t *", count), ffi.cast("volatile int32_t *", gate)
                    return function(n)
                      if n < 0 then
                        gate[0] = 1
                        while gate[1] == 0 do ffi.C.usleep(20) end
                        gate[0], gate[1] = 0, 0
                      else
                        count[0] = count[0] + 1
                      end
                    end""", arena.allocate(JAVA_LONG), gate);
            call = Linker.nativeLinker().downcallHandle(callback.funcptr(), TYPE.descriptor());
        }

        @Setup(Level.Invocation)
        public void hold() throws Throwable {
            call.invokeExact(-1);
            while ((int) GATE.getVolatile(gate, 0L) == 0) {
                Thread.onSpinWait();
            }
        }

        @TearDown(Level.Invocation)
        public void release() {
            GATE.setVolatile(gate, 4L, 1);
            awaitRun(callback, callback.queueStats().queued());
        }

        @TearDown(Level.Trial)
        public void close() {
            callback.close();
            arena.close();
        }
    }

    private static final VarHandle GATE = JAVA_INT.varHandle();

    @Setup
    public void setUp() throws Throwable {
        directCount = arena.allocate(JAVA_LONG);
        queuedCount = arena.allocate(JAVA_LONG);
        direct = TYPE.create(CHUNK, directCount);
        queued = TYPE.builder().queued(1024).create(CHUNK, queuedCount);
        // every case really runs the Lua function: a setup probe checks its count
        Baselines.VOID_LOOP.invokeExact(direct.funcptr(), PROBE);
        Baselines.expect("the direct callback", PROBE, directCount.get(JAVA_LONG, 0));
        Baselines.expect("two threads calling the queued callback", 0,
                (long) Baselines.VOID_THREADS.invokeExact(queued.funcptr(), 2, PROBE));
        awaitRun(queued, 2 * PROBE);
        Baselines.expect("the queued callback", 2 * PROBE, queuedCount.get(JAVA_LONG, 0));
    }

    @TearDown
    public void tearDown() {
        direct.close();
        queued.close();
        arena.close();
    }

    /** Waits until a queued callback has run {@code calls} calls in all. */
    static void awaitRun(Callback callback, long calls) {
        while (callback.queueStats().ran() < calls) {
            Thread.onSpinWait();
        }
    }

    /** Waits until the Lua function has counted {@code calls} calls in all; returns the count. */
    private static long awaitCount(MemorySegment count, long calls) {
        long now;
        while ((now = (long) COUNT.getVolatile(count, 0L)) < calls) {
            Thread.onSpinWait();
        }
        return now;
    }

    /** The direct round trip: the C loop calls a direct callback, which runs Lua before it returns. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public void directCall() throws Throwable {
        Baselines.VOID_LOOP.invokeExact(direct.funcptr(), LOOP);
    }

    /** The caller's cost of a queued call: the same C loop, each call queued and returning at once. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public void queuedCall(Roomy roomy) throws Throwable {
        Baselines.VOID_LOOP.invokeExact(roomy.callback.funcptr(), LOOP);
    }

    /** The caller's own cost of a queued call: the same C loop, while the worker is held by an earlier call. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public void queuedCallWorkerHeld(Held held) throws Throwable {
        Baselines.VOID_LOOP.invokeExact(held.callback.funcptr(), LOOP);
    }

    /**
     * A Java thread that echoes a volatile counter back, spinning: the machine's own hand-off between two threads,
     * the baseline of the queue-to-run latency.
     */
    @State(Scope.Benchmark)
    public static class Echo {
        volatile long ping, pong;
        private volatile boolean stop;
        private Thread thread;

        @Setup(Level.Trial)
        public void start() {
            thread = Thread.ofPlatform().daemon().start(() -> {
                long seen = 0;
                while (!stop) {
                    long now = ping;
                    if (now != seen) {
                        seen = now;
                        pong = now;
                    } else {
                        Thread.onSpinWait();
                    }
                }
            });
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }

    /** The hand-off baseline: one value to the echo thread and back. */
    @Benchmark
    public long javaHandOff(Echo echo) {
        long next = echo.ping + 1;
        echo.ping = next;
        while (echo.pong != next) {
            Thread.onSpinWait();
        }
        return next;
    }

    /** Queue-to-run latency: one queued call through the C loop, then waiting until the worker has run it. */
    @Benchmark
    public long queueToRun() throws Throwable {
        long before = (long) COUNT.getVolatile(queuedCount, 0L);
        Baselines.VOID_LOOP.invokeExact(queued.funcptr(), 1);
        return awaitCount(queuedCount, before + 1);
    }

    /** A direct callback (one state), one native thread calling it. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long directOneThread() throws Throwable {
        return (long) Baselines.VOID_THREADS.invokeExact(direct.funcptr(), 1, CALLS);
    }

    /** A direct callback (one state), two native threads: their calls take turns. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long directTwoThreads() throws Throwable {
        return (long) Baselines.VOID_THREADS.invokeExact(direct.funcptr(), 2, CALLS);
    }

    /** Queue-to-run throughput, one native producer: its calls, then waiting until all have run. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long queuedOneProducer() throws Throwable {
        long target = (long) COUNT.getVolatile(queuedCount, 0L) + CALLS;
        long status = (long) Baselines.VOID_THREADS.invokeExact(queued.funcptr(), 1, CALLS);
        return status + awaitCount(queuedCount, target);
    }

    /** Queue-to-run throughput, two native producers. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long queuedTwoProducers() throws Throwable {
        long target = (long) COUNT.getVolatile(queuedCount, 0L) + 2 * CALLS;
        long status = (long) Baselines.VOID_THREADS.invokeExact(queued.funcptr(), 2, CALLS);
        return status + awaitCount(queuedCount, target);
    }
}
