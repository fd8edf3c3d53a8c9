package dev.ljasync.bench;

import dev.ljasync.Callback;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * Native threads calling one function pointer: one pthread against two, on a callback with one state (the calls
 * take turns) and on one with a pool of two states (they may run in parallel); and the ceilings: a plain upcall
 * stub (how far Panama upcalls scale) and C calling lua_pcall in one state per thread (how far the machine and
 * LuaJIT scale, nothing shared). Each invocation starts the threads, each calls CALLS times, and joins them; the
 * score is the time per call over all threads, so one thread's score divided by two threads' is the throughput
 * ratio (two threads' calls per second / one thread's).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ParallelBench {

    /**
     * Calls per thread and invocation: enough that starting a thread, and attaching it to the JVM on its first
     * upcall (some hundreds of microseconds here), stays within a few percent.
     */
    static final int CALLS = 1_000_000;
    private static final int PROBE = 1000;
    private static final int WARM_ROUNDS = 3;

    private final Arena arena = Arena.ofShared();
    private Callback serialized, pooled;
    private MemorySegment javaStub, pcallStates;

    @Setup
    public void setUp() throws Throwable {
        serialized = CallbackBench.TYPE.create(CallbackBench.CHUNK);
        pooled = CallbackBench.TYPE.builder().states(2).create(CallbackBench.CHUNK);
        javaStub = Baselines.upcallStub(arena);
        pcallStates = arena.allocate(ADDRESS, 2);
        for (int i = 0; i < 2; i++) {
            pcallStates.setAtIndex(ADDRESS, i, Baselines.pcallState(CallbackBench.CHUNK, arena));
        }
        long expected = 2 * Baselines.expectedSum(PROBE);
        for (MemorySegment f : new MemorySegment[] {serialized.funcptr(), pooled.funcptr(), javaStub}) {
            Baselines.expect("two threads calling " + f, expected,
                    (long) Baselines.CALL_THREADS.invokeExact(f, 2, PROBE));
        }
        Baselines.expect("two threads calling lua_pcall", expected,
                (long) Baselines.PCALL_THREADS.invokeExact(pcallStates, 2, PROBE));
        // Two busy callers leave the JIT compiler no core of its own on a 2-core machine, and their warm-up could
        // take seconds: the upcall paths are made hot by one caller first, with a core free for the compiler.
        for (int round = 0; round < WARM_ROUNDS; round++) {
            for (MemorySegment f : new MemorySegment[] {serialized.funcptr(), pooled.funcptr(), javaStub}) {
                long sum = (long) Baselines.CALL_THREADS.invokeExact(f, 1, CALLS);
            }
        }
    }

    @TearDown
    public void tearDown() throws Throwable {
        serialized.close();
        pooled.close();
        for (int i = 0; i < 2; i++) {
            Baselines.CLOSE.invokeExact(pcallStates.getAtIndex(ADDRESS, i));
        }
        arena.close();
    }

    /** One state, one native thread. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long serializedOneThread() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(serialized.funcptr(), 1, CALLS);
    }

    /** One state, two native threads: their calls take turns. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long serializedTwoThreads() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(serialized.funcptr(), 2, CALLS);
    }

    /** A pool of two states, one native thread. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long pooledOneThread() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(pooled.funcptr(), 1, CALLS);
    }

    /** A pool of two states, two native threads: each call may claim a state of its own. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long pooledTwoThreads() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(pooled.funcptr(), 2, CALLS);
    }

    /** Panama's ceiling: a plain upcall stub with a Java body that adds one, one native thread. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long upcallOneThread() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(javaStub, 1, CALLS);
    }

    /** The same upcall stub, two native threads. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long upcallTwoThreads() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(javaStub, 2, CALLS);
    }

    /** The machine's and LuaJIT's ceiling: C calling the Lua function with lua_pcall, one thread and state. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long cPcallOneThread() throws Throwable {
        return (long) Baselines.PCALL_THREADS.invokeExact(pcallStates, 1, CALLS);
    }

    /** The same, two threads, each with a state of its own. */
    @Benchmark
    @OperationsPerInvocation(2 * CALLS)
    public long cPcallTwoThreads() throws Throwable {
        return (long) Baselines.PCALL_THREADS.invokeExact(pcallStates, 2, CALLS);
    }
}
