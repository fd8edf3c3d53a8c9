package dev.ljasync.bench;

import dev.ljasync.LuaState;
import org.openjdk.jmh.annotations.*;

import java.util.concurrent.TimeUnit;

/**
 * Java calling Lua through LuaState, and Lua calling a Java function, against Lua calling a Lua function in the
 * same state (the work without any crossing). All in one run: compare them as ratios.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class LuaStateBench {

    private LuaState lua;
    private long n;

    @Setup
    public void open() {
        lua = LuaState.open();
        lua.run("function inc(x) return x + 1 end");
        lua.register("jinc", args -> (Long) args[0] + 1);
        lua.run("function loopLua(n) local s = 0 for i = 1, n do s = inc(s) end return s end");
        lua.run("function loopJava(n) local s = 0 for i = 1, n do s = jinc(s) end return s end");
    }

    @TearDown
    public void close() {
        lua.close();
    }

    /** Java -> Lua: one LuaState.call of a global Lua function with an integer argument and result. */
    @Benchmark
    public Object javaCallsLua() {
        return lua.call("inc", n++)[0];
    }

    /** Lua -> Java: one call of a registered Java function, from a Lua loop of 1000 (time per call). */
    @Benchmark
    @OperationsPerInvocation(1000)
    public Object luaCallsJava() {
        return lua.call("loopJava", 1000)[0];
    }

    /** Lua -> Lua: the same loop calling a Lua function, the floor of the two above. */
    @Benchmark
    @OperationsPerInvocation(1000)
    public Object luaCallsLua() {
        return lua.call("loopLua", 1000)[0];
    }
}
