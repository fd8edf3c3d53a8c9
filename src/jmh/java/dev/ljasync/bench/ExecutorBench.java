package dev.ljasync.bench;

import dev.ljasync.LuaExecutor;
import dev.ljasync.LuaState;
import dev.ljasync.LuaThread;
import org.openjdk.jmh.annotations.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A LuaExecutor's warm states against a LuaThread started for each piece of work: the latency from submitting a
 * task to its result (a call of a setup function, and a chunk of source compiled each time) against ThreadBench's
 * LuaThread start + join, measured in the same run; and the throughput of small tasks (batches of calls, time per
 * task) with one worker and with two, against the same call made straight on a LuaState, and with one worker
 * that resets the globals after each task.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ExecutorBench {

    static final String SETUP = "function add(a, b) return a + b end";
    static final String CHUNK = "local a, b = ... return a + b";
    static final int BATCH = 1000;
    private static final long WAIT_SECONDS = 10;

    private LuaExecutor oneWorker;
    private LuaExecutor twoWorkers;
    private LuaExecutor resetting;
    private LuaState direct;
    private final List<CompletableFuture<List<Object>>> batch = new ArrayList<>(BATCH);

    @Setup
    public void setUp() throws Exception {
        oneWorker = LuaExecutor.builder().workers(1).setup(SETUP).build();
        twoWorkers = LuaExecutor.builder().workers(2).setup(SETUP).build();
        resetting = LuaExecutor.builder().workers(1).setup(SETUP).resetGlobals(true).build();
        direct = LuaState.open();
        direct.run(SETUP);
        Baselines.expect("the executor's call", 5, callLatency());
        Baselines.expect("the executor's chunk", 5, submitLatency());
        Baselines.expect("the LuaThread", ThreadBench.RESULT, startLuaThread());
        long sums = (long) BATCH * (BATCH - 1) / 2 + BATCH;
        Baselines.expect("one worker's batch", sums, throughputOneWorker());
        Baselines.expect("two workers' batch", sums, throughputTwoWorkers());
        Baselines.expect("the resetting worker's batch", sums, throughputOneWorkerReset());
        Baselines.expect("the direct calls", sums, directCalls());
    }

    @TearDown
    public void tearDown() throws InterruptedException {
        oneWorker.shutdown();
        twoWorkers.shutdown();
        resetting.shutdown();
        for (LuaExecutor executor : List.of(oneWorker, twoWorkers, resetting)) {
            if (!executor.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(executor + " did not terminate");
            }
        }
        direct.close();
    }

    /** call("add", 2, 3) on a warm worker, waited for: submit -> result. */
    @Benchmark
    public long callLatency() throws Exception {
        return (Long) oneWorker.call("add", 2, 3).get(WAIT_SECONDS, TimeUnit.SECONDS).getFirst();
    }

    /** submit(source, 2, 3) on a warm worker, waited for: the chunk is compiled and run each time. */
    @Benchmark
    public long submitLatency() throws Exception {
        return (Long) oneWorker.submit(CHUNK, 2, 3).get(WAIT_SECONDS, TimeUnit.SECONDS).getFirst();
    }

    /** ThreadBench's LuaThread start + join, in this run: the baseline of the latencies. */
    @Benchmark
    public long startLuaThread() throws InterruptedException {
        return ThreadBench.run(LuaThread.builder(), ThreadBench.CHUNK);
    }

    /** BATCH calls submitted at once to one worker, then waited for; time per task. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long throughputOneWorker() throws Exception {
        return runBatch(oneWorker);
    }

    /** The same batch on two workers. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long throughputTwoWorkers() throws Exception {
        return runBatch(twoWorkers);
    }

    /** The same batch on one worker that resets the globals after each task. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long throughputOneWorkerReset() throws Exception {
        return runBatch(resetting);
    }

    /** The same calls made straight on a LuaState from the benchmark thread: the floor of a task. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long directCalls() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Long) direct.call("add", i, 1)[0];
        }
        return sum;
    }

    private long runBatch(LuaExecutor executor) throws Exception {
        for (int i = 0; i < BATCH; i++) {
            batch.add(executor.call("add", i, 1));
        }
        long sum = 0;
        for (CompletableFuture<List<Object>> task : batch) {
            sum += (Long) task.get(WAIT_SECONDS, TimeUnit.SECONDS).getFirst();
        }
        batch.clear();
        return sum;
    }
}
