package dev.ljasync.bench;

import dev.ljasync.Callback;
import dev.ljasync.CallbackType;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The round trip native -> function pointer -> Lua -> back for {@code int (*)(int)}, called LOOP times by a C loop
 * (time per call), for this library's callbacks and its baselines, all with the same Lua function; and creating a
 * callback against C creating a state with the same chunk.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class CallbackBench {

    static final int LOOP = 10_000;
    private static final int PROBE = 100;
    static final String CHUNK = "return function(n) return n + 1 end";
    static final CallbackType TYPE = CallbackType.of("int(*)(int)");

    private final Arena arena = Arena.ofShared();
    private Callback serialized, pooled;
    private MemorySegment javaStub, pcallState, ffiState, chunk;

    @Setup
    public void setUp() throws Throwable {
        serialized = TYPE.create(CHUNK);
        pooled = TYPE.builder().states(2).create(CHUNK);
        javaStub = Baselines.upcallStub(arena);
        pcallState = Baselines.pcallState(CHUNK, arena);
        ffiState = Baselines.ffiState(CHUNK, arena);
        chunk = arena.allocateFrom(CHUNK);
        // every loop really calls the Lua (or Java) function: a setup probe checks the sum of its results
        long expected = Baselines.expectedSum(PROBE);
        Baselines.expect("the serialized callback", expected,
                (long) Baselines.CALL_LOOP.invokeExact(serialized.funcptr(), PROBE));
        Baselines.expect("the pooled callback", expected,
                (long) Baselines.CALL_LOOP.invokeExact(pooled.funcptr(), PROBE));
        Baselines.expect("the upcall stub", expected, (long) Baselines.CALL_LOOP.invokeExact(javaStub, PROBE));
        Baselines.expect("C lua_pcall", expected, (long) Baselines.PCALL_LOOP.invokeExact(pcallState, PROBE));
        Baselines.expect("LuaJIT's FFI callback", expected, (long) Baselines.FFI_LOOP.invokeExact(ffiState, PROBE));
        Baselines.expect("C creating a state", 0, (int) Baselines.CREATE_CLOSE.invokeExact(chunk));
    }

    @TearDown
    public void tearDown() throws Throwable {
        serialized.close();
        pooled.close();
        Baselines.CLOSE.invokeExact(pcallState);
        Baselines.CLOSE.invokeExact(ffiState);
        arena.close();
    }

    /** This library's callback, one state: calls take turns. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long roundTripCallback() throws Throwable {
        return (long) Baselines.CALL_LOOP.invokeExact(serialized.funcptr(), LOOP);
    }

    /** This library's callback with a pool of two states (one caller here: the cost of the pool itself). */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long roundTripCallbackPooled() throws Throwable {
        return (long) Baselines.CALL_LOOP.invokeExact(pooled.funcptr(), LOOP);
    }

    /**
     * LuaJIT's own FFI callback (lj-async's mechanism). Its C loop is called through the FFI from Lua, as LuaJIT
     * documents: called from plain C with no Lua frame below, a callback may crash (LuaJIT issue 1498).
     */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long roundTripLuaJitFfiCallback() throws Throwable {
        return (long) Baselines.FFI_LOOP.invokeExact(ffiState, LOOP);
    }

    /** The Panama floor: the same C loop calling a plain upcall stub whose Java body adds one. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long roundTripPanamaUpcall() throws Throwable {
        return (long) Baselines.CALL_LOOP.invokeExact(javaStub, LOOP);
    }

    /** The Lua floor: C calling the Lua function with lua_pcall. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long roundTripCPcall() throws Throwable {
        return (long) Baselines.PCALL_LOOP.invokeExact(pcallState, LOOP);
    }

    /** Creating and closing a callback: its state, libraries, chunk, and upcall stub. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void createCallback() {
        TYPE.create(CHUNK).close();
    }

    /** C: luaL_newstate + luaL_openlibs + loading and running the chunk + lua_close. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int createCState() throws Throwable {
        return (int) Baselines.CREATE_CLOSE.invokeExact(chunk);
    }
}
