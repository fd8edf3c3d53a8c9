package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class LuaValueTest {

    @Test
    void aClosureReturnedToJavaKeepsItsUpvaluesAndCanBeCalledLater() {
        try (LuaState lua = LuaState.open()) {
            LuaValue counter = (LuaValue) lua.run("local n = 0; return function(k) n = n + k; return n end")[0];
            assertEquals(LuaValue.Type.FUNCTION, counter.type());
            assertArrayEquals(new Object[] {2L}, counter.call(2));
            lua.run("collectgarbage()");
            assertArrayEquals(new Object[] {5L}, counter.call(3));
        }
    }

    @Test
    void aTableReferenceIsLiveBothWays() {
        try (LuaState lua = LuaState.open()) {
            lua.run("config = {size = 1, list = {10, 20}}");
            LuaValue config = lua.reference("config");
            assertEquals(LuaValue.Type.TABLE, config.type());
            assertEquals(1L, config.get("size"));
            config.set("size", 5);
            assertEquals(5L, lua.run("return config.size")[0]);
            lua.run("config.name = 'x'");
            assertEquals("x", config.get("name"));
            assertEquals(List.of(10L, 20L), ((LuaTable) config.get("list")).toList());
            LuaValue list = config.reference("list");
            list.set(3, 30);
            assertEquals(3L, list.length());
            assertEquals(30L, lua.run("return config.list[3]")[0]);
            assertNull(config.reference("missing"));
            Map<Object, Object> seen = new LinkedHashMap<>();
            for (Map.Entry<Object, Object> e : config) {
                seen.put(e.getKey(), e.getValue());
            }
            assertEquals(Map.of("size", 5L, "name", "x", "list", Map.of(1L, 10L, 2L, 20L, 3L, 30L)), seen);
        }
    }

    @Test
    void tablesCopyToLuaTablesWithSharedPartsAndCyclesKept() {
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local shared = {1, 2}
                    local t = {a = shared, b = shared, seq = {'x', 'y', 'z'}, [3] = true}
                    t.self = t
                    return t, {}, {1, 2, 3}""");
            LuaTable t = (LuaTable) r[0];
            assertSame(t.get("a"), t.get("b"));
            assertSame(t, t.get("self"));
            assertEquals(List.of("x", "y", "z"), ((LuaTable) t.get("seq")).toList());
            assertEquals(true, t.get(3L));
            assertTrue(((LuaTable) r[1]).isSequence());
            assertEquals(List.of(), ((LuaTable) r[1]).toList());
            assertEquals(List.of(1L, 2L, 3L), ((LuaTable) r[2]).toList());
            assertFalse(t.isSequence());
            IllegalStateException e = assertThrows(IllegalStateException.class, t::toList);
            assertTrue(e.getMessage().contains("not a sequence"), e.getMessage());
        }
    }

    @Test
    void largeArraysOfNumbersCopyExactlyAndAnythingElseInThemIsKept() {
        try (LuaState lua = LuaState.open()) {
            LuaTable numbers = (LuaTable) lua.run("local t = {} for i = 1, 1000 do t[i] = i % 7 == 0 and i + 0.5"
                    + " or i end t[3] = -0.0 t[4] = 0/0 t[5] = 2^60 return t")[0];
            assertEquals(1000, numbers.size());
            assertEquals(1L, numbers.get(1L));
            assertEquals(7.5, numbers.get(7L));
            assertEquals(-0.0, numbers.get(3L));
            assertTrue(Double.isNaN((Double) numbers.get(4L)));
            assertEquals(1L << 60, numbers.get(5L));
            assertEquals(List.of(1L, 2L), numbers.toList().subList(0, 2));
            // each of these is a table of numbers but for one thing, which must arrive too
            Object[] r = lua.run("""
                    local function seq() local t = {} for i = 1, 100 do t[i] = i end return t end
                    local a, b, c, d = seq(), seq(), seq(), seq()
                    a.name = 'extra'; b[50] = 'fifty'; c[0] = 'zero'; d[200] = 200
                    return a, b, c, d""");
            assertEquals("extra", ((LuaTable) r[0]).get("name"));
            assertEquals(101, ((LuaTable) r[0]).size());
            assertEquals("fifty", ((LuaTable) r[1]).get(50L));
            assertEquals("zero", ((LuaTable) r[2]).get(0L));
            assertEquals(200L, ((LuaTable) r[3]).get(200L));
            assertEquals(101, ((LuaTable) r[3]).size());
        }
    }

    @Test
    void mapsListsAndArraysGoIntoLuaAsTables() {
        try (LuaState lua = LuaState.open()) {
            Map<String, Object> m = new LinkedHashMap<>();
            List<Object> shared = new ArrayList<>(List.of(1, 2));
            m.put("a", shared);
            m.put("b", shared);
            m.put("ints", new int[] {4, 5, 6});
            m.put("names", new String[] {"p", "q"});
            m.put("nested", Map.of("deep", List.of(Map.of("x", 1.5))));
            lua.set("m", m);
            assertArrayEquals(new Object[] {true, 2L, 15L, "pq", 1.5},
                    lua.run("return m.a == m.b, #m.a, m.ints[1] + m.ints[2] + m.ints[3], m.names[1] .. m.names[2],"
                            + " m.nested.deep[1].x"));
            List<Object> cyclic = new ArrayList<>();
            cyclic.add(cyclic);
            assertEquals(true, lua.run("local t = ... return t[1] == t", "cyclic", cyclic)[0]);
            Object deep = List.of();
            for (int i = 0; i < 150; i++) {
                deep = List.of(deep);
            }
            Object tooDeep = deep;
            IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
                    () -> lua.run("return ...", "deep", tooDeep));
            assertTrue(nested.getMessage().startsWith("argument 1 of the chunk 'deep': value[1][1]")
                    && nested.getMessage().contains("more than 100 deep"), nested.getMessage());
            assertEquals(1L, lua.run("return 1")[0], "nothing was left on the stack");
            Map<Object, Object> clash = new LinkedHashMap<>();
            clash.put(1, "int");
            clash.put(1L, "long");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lua.set("c", clash));
            assertTrue(e.getMessage().contains("one key in Lua"), e.getMessage());
        }
    }

    @Test
    void int64CdataAndLongsBeyondDoublesCrossExactly() {
        try (LuaState lua = LuaState.open()) {
            long big = (1L << 60) + 1;
            Object[] r = lua.run("local ffi = require('ffi'); local x = ... ;"
                    + " return x, ffi.typeof(x) == ffi.typeof('int64_t'), x + 1, 0xffffffffffffffffULL, 5LL", "c", big);
            assertArrayEquals(new Object[] {big, true, big + 1, new BigInteger("18446744073709551615"), 5L}, r);
        }
    }

    @Test
    void coroutinesAreDrivenFromJava() {
        try (LuaState lua = LuaState.open()) {
            LuaValue gen = (LuaValue) lua.run("return function(a) local b = coroutine.yield(a + 1); return b * 2 end")[0];
            LuaValue co = lua.coroutine(gen);
            assertEquals(LuaValue.Type.THREAD, co.type());
            assertEquals(LuaValue.Status.SUSPENDED, co.status());
            assertArrayEquals(new Object[] {11L}, co.resume(10));
            assertEquals(LuaValue.Status.SUSPENDED, co.status());
            assertArrayEquals(new Object[] {42L}, co.resume(21));
            assertEquals(LuaValue.Status.DEAD, co.status());
            LuaException e = assertThrows(LuaException.class, () -> co.resume());
            assertTrue(e.getMessage().contains("dead"), e.getMessage());
            LuaValue failing = lua.coroutine((LuaValue) lua.run("return function() error('boom') end", "fails")[0]);
            LuaException boom = assertThrows(LuaException.class, failing::resume);
            assertTrue(boom.getMessage().contains("fails:1: boom"), boom.getMessage());
        }
    }

    @Test
    void aJavaFunctionYieldsItsCoroutine() {
        try (LuaState lua = LuaState.open()) {
            List<Object> got = new ArrayList<>();
            lua.register("ask", args -> JavaFunction.yield("question", args[0]));
            lua.register("tell", args -> {
                got.add(args[0]);
                return null;
            });
            LuaValue co = lua.coroutine((LuaValue) lua.run("return function() tell(ask(7)) return 'done' end")[0]);
            assertArrayEquals(new Object[] {"question", 7L}, co.resume());
            assertArrayEquals(new Object[] {"done"}, co.resume("answer"));
            assertEquals(List.of("answer"), got);
            LuaException e = assertThrows(LuaException.class, () -> lua.run("ask(1)"));
            assertTrue(e.getMessage().contains("yield"), e.getMessage());
        }
    }

    @Test
    void luaFunctionsAndTablesImplementJavaInterfaces() {
        try (LuaState lua = LuaState.open()) {
            @SuppressWarnings("unchecked")
            Comparator<Object> byLength = ((LuaValue) lua.run("return function(a, b) return #a - #b end")[0])
                    .proxy(Comparator.class);
            List<Object> words = new ArrayList<>(List.of("ccc", "a", "bb"));
            words.sort(byLength);
            assertEquals(List.of("a", "bb", "ccc"), words);
            @SuppressWarnings("unchecked")
            Function<Object, Object> twice = ((LuaValue) lua.run("return function(x) return x * 2 end")[0])
                    .proxy(Function.class);
            assertEquals(8L, twice.apply(4));
            lua.run("listener = {count = 0, event = function(self, n) self.count = self.count + n; return self.count end}");
            Listener listener = lua.reference("listener").proxy(Listener.class);
            assertEquals(3, listener.event(3));
            assertEquals(7, listener.event(4));
            assertEquals("default", listener.name());
            assertThrows(UnsupportedOperationException.class, listener::other);
            lua.run("bad = {event = function() return 'x' end}");
            LuaException e = assertThrows(LuaException.class, () -> lua.reference("bad").proxy(Listener.class).event(1));
            assertTrue(e.getMessage().contains("Listener.event returned string where int is expected"),
                    e.getMessage());
        }
    }

    /** Methods that take what Lua passes as tables and functions. */
    public interface Shapes {
        int sum(int[] numbers);

        String join(List<String> parts);

        int apply(java.util.function.IntUnaryOperator f, int x);
    }

    @Test
    void javaMethodsTakeTablesAsListsAndArraysAndFunctionsAsInterfaces() {
        Shapes shapes = new Shapes() {
            public int sum(int[] numbers) {
                return java.util.Arrays.stream(numbers).sum();
            }

            public String join(List<String> parts) {
                return String.join("-", parts);
            }

            public int apply(java.util.function.IntUnaryOperator f, int x) {
                return f.applyAsInt(x);
            }
        };
        try (LuaState lua = LuaState.open()) {
            assertArrayEquals(new Object[] {6L, "a-b", 49L}, lua.run("local s = ... return s:sum({1, 2, 3}),"
                    + " s:join({'a', 'b'}), s:apply(function(x) return x * x end, 7)", "shapes",
                    JavaObject.of(shapes, Shapes.class)));
            LuaException e = assertThrows(LuaException.class, () -> lua.run("local s = ... return s:sum({1, 'x'})",
                    "shapes", JavaObject.of(shapes, Shapes.class)));
            assertTrue(e.getMessage().contains("sum"), e.getMessage());
        }
    }

    @Test
    void varargsMethodsTakeTheirTrailingArgumentsOneByOne() {
        try (LuaState lua = LuaState.builder().javaClasses(true).open()) {
            assertArrayEquals(new Object[] {"5-x", "a/b/c", "a/b", "none"}, lua.run("""
                    local S = java.import("java.lang.String")
                    return S.format("%d-%s", 5, "x"), S.join("/", "a", "b", "c"), S.join("/", {"a", "b"}),
                      S.format("none")"""));
        }
    }

    interface Listener {
        int event(int n);

        void other();

        default String name() {
            return "default";
        }
    }

    @Test
    void referencesAreEqualWhenTheyReferToOneValue() {
        try (LuaState lua = LuaState.open()) {
            lua.run("t = {}; u = {}");
            assertEquals(lua.reference("t"), lua.reference("t"));
            assertEquals(lua.reference("t").hashCode(), lua.reference("t").hashCode());
            assertNotEquals(lua.reference("t"), lua.reference("u"));
            lua.run("n = 3; s = 'text'");
            assertEquals(lua.reference("n"), lua.reference("n"));
            assertEquals(lua.reference("s"), lua.reference("s"));
            assertEquals(3L, lua.reference("n").toJava());
        }
    }

    @Test
    void aReferenceAfterItsCloseOrItsStatesIsRefused() {
        LuaValue f;
        try (LuaState lua = LuaState.open()) {
            f = (LuaValue) lua.run("return print")[0];
            LuaValue g = lua.reference("tostring");
            g.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.call(1));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> f.call("x"));
    }

    @Test
    void aMillionDroppedReferencesLeaveTheHeapFlat() throws Exception {
        try (LuaState lua = LuaState.open()) {
            lua.run("f = function() end; t = {}");
            for (int i = 0; i < 300_000; i++) {
                LuaValue warm = lua.reference("f"); // the registry grows to the most references held at once
                if (i % 100_000 == 0) {
                    System.gc();
                }
            }
            long before = settled(lua);
            for (int i = 0; i < 1_000_000; i++) {
                LuaValue dropped = i % 2 == 0 ? lua.reference("f") : lua.reference("t");
                if (i % 100_000 == 0) {
                    System.gc();
                }
            }
            long after = settled(lua);
            // The registry keeps the room of the most references held at once (until the collector found them
            // dropped), which varies by a power of two; a million references kept would take 16 MB and more.
            assertTrue(after < before + 2 * 1024 * 1024, "heap grew from " + before + " to " + after);
        }
    }

    private static long settled(LuaState lua) throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            lua.run("collectgarbage(); collectgarbage()");
        }
        return lua.memoryUsed();
    }

    @Test
    void referencesAreUsedFromManyThreadsAtOnce() throws Exception {
        try (LuaState lua = LuaState.open()) {
            LuaValue add = (LuaValue) lua.run("local total = 0; return function(n) total = total + n; return total end")[0];
            AtomicLong last = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 1; i <= 10_000; i++) {
                        last.accumulateAndGet((Long) add.call(1)[0], Math::max);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join(30_000);
            }
            assertEquals(40_000L, last.get());
        }
    }
}
