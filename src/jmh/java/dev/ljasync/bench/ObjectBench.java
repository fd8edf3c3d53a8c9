package dev.ljasync.bench;

import dev.ljasync.JavaObject;
import dev.ljasync.LuaState;
import org.openjdk.jmh.annotations.*;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.luajit.LuaJit;

import java.util.concurrent.TimeUnit;

/**
 * Lua calling a method of a Java object, {@code obj:inc(i)} in a Lua loop: on an object exposed with
 * {@link JavaObject#of(Object, Class)} in a {@link LuaState}, and on the same object pushed into luajava (JNI, which
 * finds the method by reflection and caches it). Time per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ObjectBench {

    static final int LOOP = 1000;
    static final String LOOP_SOURCE =
            "function loop(n) local s = 0 for i = 1, n do s = counter:inc(s) end return s end";

    /** What Lua code sees of the counter. */
    public interface Incrementer {
        long inc(long x);
    }

    /** The Java object both libraries call. */
    public static final class Counter implements Incrementer {
        @Override
        public long inc(long x) {
            return x + 1;
        }
    }

    @State(Scope.Thread)
    public static class Library {
        LuaState lua;

        @Setup
        public void open() {
            lua = LuaState.open();
            lua.set("counter", JavaObject.of(new Counter(), Incrementer.class));
            lua.run(LOOP_SOURCE);
            Baselines.expect("LuaState method call", 100, (Long) lua.call("loop", 100)[0]);
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    @State(Scope.Thread)
    public static class Luajava {
        Lua lua;

        @Setup
        public void open() {
            lua = new LuaJit();
            lua.pushJavaObject(new Counter());
            lua.setGlobal("counter");
            lua.run(LOOP_SOURCE);
            Baselines.expect("luajava method call", 100, LuaStateBench.luajavaCall(lua, "loop", 100));
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    /** obj:inc(i) on an object exposed with JavaObject.of(counter, Incrementer.class). */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public Object luaCallsJavaMethod(Library s) {
        return s.lua.call("loop", LOOP)[0];
    }

    /** The same loop in luajava, on the same kind of object pushed with pushJavaObject. */
    @Benchmark
    @OperationsPerInvocation(LOOP)
    public long luajavaCallsJavaMethod(Luajava s) {
        return LuaStateBench.luajavaCall(s.lua, "loop", LOOP);
    }
}
