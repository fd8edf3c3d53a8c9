package dev.ljasync.bench;

import dev.ljasync.LuaState;
import org.openjdk.jmh.annotations.*;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.luajit.LuaJit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whole tables crossing between Lua and Java, against luajava (JNI): a Lua array of SIZE integers read into Java
 * (ours: the global {@code t} through {@link LuaState#get}, a Map; luajava: {@code getGlobal} then {@code toList}),
 * and a Map of SIZE String keys to Long values stored as a Lua table (ours: {@link LuaState#set}; luajava: its
 * {@code push} of a Map with full conversion, then {@code setGlobal}). Time per table.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ValuesBench {

    static final int SIZE = 1000;
    static final String ARRAY = "t = {} for i = 1, " + SIZE + " do t[i] = i end";
    static final String COUNT = "local n = 0 for _ in pairs(m) do n = n + 1 end return n";

    static Map<Object, Object> map() {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (long i = 1; i <= SIZE; i++) {
            map.put("k" + i, i);
        }
        return map;
    }

    /** A LuaState of this library with the array t, and the Map to store. */
    @State(Scope.Thread)
    public static class Library {
        LuaState lua;
        final Map<Object, Object> map = map();

        @Setup
        public void open() {
            lua = LuaState.open();
            lua.run(ARRAY);
            Baselines.expect("LuaState.get of a table", SIZE, ((Map<?, ?>) lua.get("t")).size());
            lua.set("m", map);
            Baselines.expect("LuaState.set of a Map", SIZE, (Long) lua.run(COUNT)[0]);
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    /** A luajava state (JNI) with the same array t. */
    @State(Scope.Thread)
    public static class Luajava {
        Lua lua;
        final Map<Object, Object> map = map();

        @Setup
        public void open() {
            lua = new LuaJit();
            lua.run(ARRAY);
            Baselines.expect("luajava toList", SIZE, toList(lua).size());
            push(lua, map);
            lua.run(COUNT);
            Baselines.expect("luajava push of a Map", SIZE, lua.toInteger(-1));
            lua.pop(1);
        }

        @TearDown
        public void close() {
            lua.close();
        }
    }

    private static List<?> toList(Lua lua) {
        lua.getGlobal("t");
        List<?> list = lua.toList(-1);
        lua.pop(1);
        return list;
    }

    private static void push(Lua lua, Map<Object, Object> map) {
        lua.push(map, Lua.Conversion.FULL);
        lua.setGlobal("m");
    }

    /** Lua -> Java: the 1,000-element array as a Map (a LuaTable once the value model has tables). */
    @Benchmark
    public Object arrayToJava(Library s) {
        return s.lua.get("t");
    }

    /** Lua -> Java with luajava: getGlobal, toList, pop. */
    @Benchmark
    public Object luajavaArrayToJava(Luajava s) {
        return toList(s.lua);
    }

    /** Java -> Lua: the 1,000-entry Map stored as the global m, a table. */
    @Benchmark
    public void mapToLua(Library s) {
        s.lua.set("m", s.map);
    }

    /** Java -> Lua with luajava: push of the Map with full conversion, setGlobal. */
    @Benchmark
    public void luajavaMapToLua(Luajava s) {
        push(s.lua, s.map);
    }
}
