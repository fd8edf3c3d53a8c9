package dev.ljasync.bench;

import dev.ljasync.Callback;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * Native threads calling one function pointer: k pthreads, k from 1 to the machine's core count (the callers
 * parameter; scripts/bench passes 1 to {@code nproc}), on a callback with one state (the calls take turns) and on one
 * with a pool of as many states as the machine has cores, or callers if more (they may run in parallel); and the
 * ceilings: a plain upcall
 * stub (how far Panama upcalls scale) and C calling lua_pcall in one state per thread (how far the machine and LuaJIT
 * scale, nothing shared). Each invocation starts the threads, each calls CALLS / callers times, and joins them; the
 * score is the time per call over all threads, so one caller's score divided by k callers' is the throughput ratio
 * (k threads' calls per second / one thread's).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ParallelBench {

    /**
     * Calls per invocation, shared among the callers (up to callers - 1 fewer when they do not divide it, a
     * negligible error): enough that starting the threads, and attaching each to the JVM on its first upcall (some
     * hundreds of microseconds here), stays within a few percent.
     */
    static final int CALLS = 2_000_000;
    private static final int PROBE = 1000;
    private static final int WARM_ROUNDS = 3;
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /** The number of native callers; scripts/bench runs 1 to the machine's core count. */
    @Param({"1", "2"})
    public int callers;

    private final Arena arena = Arena.ofShared();
    private Callback serialized, pooled;
    private MemorySegment javaStub, pcallStates;
    private int perCaller;

    @Setup
    public void setUp() throws Throwable {
        if (callers < 1 || callers > 64) {
            throw new IllegalArgumentException("callers must be from 1 to 64 (ljb_call_threads' limit), not "
                    + callers);
        }
        perCaller = CALLS / callers;
        serialized = CallbackBench.TYPE.create(CallbackBench.CHUNK);
        pooled = CallbackBench.TYPE.builder().states(Math.max(CORES, callers)).create(CallbackBench.CHUNK);
        javaStub = Baselines.upcallStub(arena);
        pcallStates = arena.allocate(ADDRESS, callers);
        for (int i = 0; i < callers; i++) {
            pcallStates.setAtIndex(ADDRESS, i, Baselines.pcallState(CallbackBench.CHUNK, arena));
        }
        long expected = callers * Baselines.expectedSum(PROBE);
        for (MemorySegment f : new MemorySegment[] {serialized.funcptr(), pooled.funcptr(), javaStub}) {
            Baselines.expect(callers + " threads calling " + f, expected,
                    (long) Baselines.CALL_THREADS.invokeExact(f, callers, PROBE));
        }
        Baselines.expect(callers + " threads calling lua_pcall", expected,
                (long) Baselines.PCALL_THREADS.invokeExact(pcallStates, callers, PROBE));
        // Busy callers on every core leave the JIT compiler none of its own, and their warm-up could take seconds:
        // the upcall paths are made hot by one caller first, with a core free for the compiler.
        for (int round = 0; round < WARM_ROUNDS; round++) {
            for (MemorySegment f : new MemorySegment[] {serialized.funcptr(), pooled.funcptr(), javaStub}) {
                long sum = (long) Baselines.CALL_THREADS.invokeExact(f, 1, CALLS / 2);
            }
        }
    }

    @TearDown
    public void tearDown() throws Throwable {
        serialized.close();
        pooled.close();
        for (int i = 0; i < callers; i++) {
            Baselines.CLOSE.invokeExact(pcallStates.getAtIndex(ADDRESS, i));
        }
        arena.close();
    }

    /** One state: the callers' calls take turns. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long serialized() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(serialized.funcptr(), callers, perCaller);
    }

    /** A pool of a state per core: each call may claim a state of its own. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long pooled() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(pooled.funcptr(), callers, perCaller);
    }

    /** Panama's ceiling: a plain upcall stub with a Java body that adds one. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long upcall() throws Throwable {
        return (long) Baselines.CALL_THREADS.invokeExact(javaStub, callers, perCaller);
    }

    /** The machine's and LuaJIT's ceiling: C calling the Lua function with lua_pcall, a state per thread. */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long cPcall() throws Throwable {
        return (long) Baselines.PCALL_THREADS.invokeExact(pcallStates, callers, perCaller);
    }
}
