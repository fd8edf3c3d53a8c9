package dev.ljasync.bench;

import dev.ljasync.LuaState;
import org.openjdk.jmh.annotations.*;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.luajit.LuaJit;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;

/**
 * Java calling a Lua function with an integer argument and result: through {@link LuaState}, through luajava (JNI,
 * with the LuaJIT that its natives artifact bundles), and C calling it with lua_pcall (the floor). Also Lua calling
 * a Java function (one registered with {@link LuaState#register}, and a luajava {@code JFunction} set as a global)
 * against Lua calling a Lua function in the same state. Each benchmark sets up only its own state.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LuaStateBench {

    static final int LOOP = 1000;
    static final String INC = "function inc(x) return x + 1 end";
    static final String LOOP_JAVA = "function loopJava(n) local s = 0 for i = 1, n do s = jinc(s) end return s end";
    /** What Lua calls as jincTyped: registered with the C type double (*)(double), which a Lua number maps to. */
    static double inc(double x) {
        return x + 1;
    }

    /** A LuaState of this library with a global Lua function inc, and loops calling inc or a Java function. */
    @State(Scope.Thread)
    public static class Library {
        LuaState lua;
        MethodHandle inc;
        long n;
        int i;

        @Setup
        public void open() {
            lua = LuaState.open();
            lua.run(INC);
            lua.register("jinc", args -> (Long) args[0] + 1);
            lua.run("function loopLua(n) local s = 0 for i = 1, n do s = inc(s) end return s end");
            lua.run(LOOP_JAVA);
            try {
                lua.register("jincTyped", "double (*)(double)", MethodHandles.lookup().findStatic(
                        LuaStateBench.class, "inc", MethodType.methodType(double.class, double.class)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            lua.run(LOOP_JAVA.replace("loopJava", "loopJavaTyped").replace("jinc(", "jincTyped("));
            Baselines.expect("LuaState.call", 42, (Long) lua.call("inc", 41)[0]);
            Baselines.expect("LuaState.register, typed", LOOP, (Long) lua.call("loopJavaTyped", LOOP)[0]);
            Baselines.expect("LuaState.register", LOOP, (Long) lua.call("loopJava", LOOP)[0]);
            inc = lua.function("inc", "int (*)(int)");
            try {
                Baselines.expect("LuaState.function", 42, (int) inc.invokeExact(41));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    /**
     * A luajava state (JNI) with the same global inc, and the same loop calling jinc: a JFunction pushed as a global,
     * luajava's lowest-level way for Lua to call Java (its argument read and its result pushed with its stack verbs).
     */
    @State(Scope.Thread)
    public static class Luajava {
        Lua lua;
        long n;

        @Setup
        public void open() {
            lua = new LuaJit();
            lua.run(INC);
            Baselines.expect("luajava", 42, luajavaCall(lua, "inc", 41));
            JFunction jinc = L -> {
                L.push(L.toInteger(1) + 1);
                return 1;
            };
            lua.push(jinc);
            lua.setGlobal("jinc");
            lua.run(LOOP_JAVA);
            Baselines.expect("luajava JFunction", LOOP, luajavaCall(lua, "loopJava", LOOP));
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    /** A state that C drives with lua_pcall, its global f adding one. */
    @State(Scope.Thread)
    public static class CFloor {
        final Arena arena = Arena.ofConfined();
        MemorySegment state;

        @Setup
        public void open() throws Throwable {
            state = Baselines.pcallState("return function(x) return x + 1 end", arena);
            Baselines.expect("C lua_pcall", Baselines.expectedSum(100),
                    (long) Baselines.PCALL_LOOP.invokeExact(state, 100));
        }

        @TearDown
        public void close() throws Throwable {
            Baselines.CLOSE.invokeExact(state);
            arena.close();
        }
    }

    /**
     * luajava's stack verbs for one call of the global {@code function} with one integer, returning an integer: the
     * way its documentation calls a Lua function. Shared by the benchmarks that measure luajava.
     */
    static long luajavaCall(Lua lua, String function, long n) {
        lua.getGlobal(function);
        lua.push(n);
        lua.pCall(1, 1);
        long result = lua.toInteger(-1);
        lua.pop(1);
        return result;
    }

    /** Java -> Lua: one LuaState.call of a global Lua function with an integer argument and result. */
    @Benchmark
    public Object javaCallsLua(Library s) {
        return s.lua.call("inc", s.n++)[0];
    }

    /** Java -> Lua: the same function through a typed handle (LuaState.function), int (*)(int). */
    @Benchmark
    public int javaCallsLuaTyped(Library s) throws Throwable {
        return (int) s.inc.invokeExact(s.i++);
    }

    /** Java -> Lua with luajava over JNI: getGlobal, push, pCall, toInteger, pop. */
    @Benchmark
    public long luajavaCallsLua(Luajava s) {
        return luajavaCall(s.lua, "inc", s.n++);
    }

    /** The floor: C calling the same Lua function with lua_pcall, LOOP times (time per call). */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long cCallsLua(CFloor s) throws Throwable {
        return (long) Baselines.PCALL_LOOP.invokeExact(s.state, LOOP);
    }

    /** Lua -> Java: one call of a registered Java function, from a Lua loop (time per call). */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object luaCallsJava(Library s) {
        return s.lua.call("loopJava", LOOP)[0];
    }

    /**
     * Lua -> Java, typed: the same loop calling a Java method registered with a C type, which Lua calls through
     * the FFI (time per call).
     */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object luaCallsJavaTyped(Library s) {
        return s.lua.call("loopJavaTyped", LOOP)[0];
    }

    /** Lua -> Java with luajava: the same loop calling a JFunction global (time per call). */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long luajavaLuaCallsJava(Luajava s) {
        return luajavaCall(s.lua, "loopJava", LOOP);
    }

    /** Lua -> Lua: the same loop calling a Lua function, the floor of the one above. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object luaCallsLua(Library s) {
        return s.lua.call("loopLua", LOOP)[0];
    }
}
