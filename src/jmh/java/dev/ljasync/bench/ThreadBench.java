package dev.ljasync.bench;

import dev.ljasync.LuaState;
import dev.ljasync.LuaThread;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Starting a thread that runs a tiny Lua function in a state of its own, and joining it: this library's LuaThread
 * against C doing the same with pthread_create + luaL_newstate + luaL_openlibs + the chunk and its function +
 * lua_close + pthread_join.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ThreadBench {

    /** The chunk returns the thread function, which gets a userdata pointer (NULL here) and returns RESULT. */
    static final String CHUNK = "return function(ud) local n = 0 for i = 1, 10 do n = n + i end return n end";
    static final long RESULT = 55;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(10);

    private final Arena arena = Arena.ofShared();
    private MemorySegment chunk;

    @Setup
    public void setUp() throws Throwable {
        chunk = arena.allocateFrom(CHUNK);
        Baselines.expect("the C thread", RESULT, (long) Baselines.THREAD_RUN.invokeExact(chunk));
        Baselines.expect("the LuaThread", RESULT, startLuaThread());
        Baselines.expect("the native LuaThread", RESULT, startNativeLuaThread());
        Baselines.expect("the working LuaThread", WORK_RESULT, computeLuaThread());
        Baselines.expect("the cancellable LuaThread", WORK_RESULT, computeCancellableLuaThread());
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** A LuaThread (a platform thread calling the function through its pointer) started, joined and closed. */
    @Benchmark
    public long startLuaThread() throws InterruptedException {
        return run(LuaThread.builder(), CHUNK);
    }

    /** The same LuaThread started as a native thread (pthread_create through the bindings) instead. */
    @Benchmark
    public long startNativeLuaThread() throws InterruptedException {
        return run(LuaThread.builder().nativeThread(true), CHUNK);
    }

    /** A thread with real work (a loop of a million iterations with a branch and a call), as it runs normally. */
    @Benchmark
    public long computeLuaThread() throws InterruptedException {
        return run(LuaThread.builder(), WORK);
    }

    /** The same work in a cancellable thread: no JIT, and a count hook every 10,000 instructions. */
    @Benchmark
    public long computeCancellableLuaThread() throws InterruptedException {
        return run(LuaThread.builder().cancellable(true), WORK);
    }

    static final String WORK = """
            local function step(n, i) if i % 3 == 0 then return n + i else return n - 1 end end
            return function() local n = 0 for i = 1, 1e6 do n = step(n, i) end return n end""";
    static final long WORK_RESULT = 166_666_166_666L;

    static long run(LuaThread.Builder builder, String chunk) throws InterruptedException {
        try (LuaThread thread = builder.start(chunk, MemorySegment.NULL)) {
            if (!thread.join(JOIN_TIMEOUT)) {
                throw new IllegalStateException(thread + " did not end in " + JOIN_TIMEOUT);
            }
            return (Long) thread.result();
        }
    }

    /**
     * The same from Lua code, as lj-async's users write it: {@code Thread(f, nil)} of lj-async.thread, where f is
     * the same function (copied into the thread's state), then {@code t:join()}; one call of a Lua function that does
     * both, in a state made once.
     */
    @Benchmark
    public long startLjAsyncThread() {
        return (Long) ljAsync.call("start_and_join")[0];
    }

    private LuaState ljAsync;

    @Setup
    public void setUpLjAsync() {
        ljAsync = LuaState.open();
        ljAsync.run("""
                local Thread = require "lj-async.thread"
                local f = load(...)()
                function start_and_join()
                  local t = Thread(f, nil)
                  local _, n = t:join()
                  t:destroy()
                  return n
                end""", "lj-async", CHUNK);
        Baselines.expect("the lj-async thread", RESULT, startLjAsyncThread());
    }

    @TearDown
    public void tearDownLjAsync() {
        ljAsync.close();
    }

    /** C: pthread_create; in the thread a new state, its libraries, the chunk and its function, lua_close; join. */
    @Benchmark
    public long startCThread() throws Throwable {
        return (long) Baselines.THREAD_RUN.invokeExact(chunk);
    }
}
