package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static dev.ljasync.ChannelSelectTest.assertLuaError;
import static org.junit.jupiter.api.Assertions.*;

/** Shared tables between Lua states on threads and Java: atomic counts, compare-and-set, snapshots, the value rule. */
class SharedTableTest {

    private static final Duration JOIN = Duration.ofSeconds(60);

    // a chunk returning a function that increments key "n" `times` times and returns the largest result it saw
    private static final String INCREMENTS = """
            local sync = require("ljasync.sync")
            local t, times = sync.wrap((...)), select(2, ...)
            return function()
              local most = 0
              for _ = 1, times do
                local n = t:increment("n")
                if n > most then most = n end
              end
              return most
            end""";

    @Test
    @Timeout(60)
    void shouldCountAMillionIncrementsFromTwoLuaThreadsAndTwoJavaThreadsExactly() throws Exception {
        int times = 250_000;
        SharedTable table = new SharedTable();
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> javas = new ArrayList<>();
        long[] most = new long[2];
        for (int j = 0; j < 2; j++) {
            int me = j;
            javas.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int i = 0; i < times; i++) {
                        most[me] = Math.max(most[me], table.increment("n", 1));
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        List<LuaThread> luas = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            luas.add(LuaWorkers.start("incrementer-" + l, INCREMENTS, table, times));
        }
        go.countDown();
        long largest = 0;
        for (LuaThread lua : luas) {
            assertTrue(lua.join(JOIN), lua + " finished");
            assertEquals(LuaThread.Status.FINISHED, lua.status(), () -> lua.error().toString());
            largest = Math.max(largest, (Long) lua.result());
            lua.close();
        }
        for (Thread java : javas) {
            assertTrue(java.join(JOIN));
        }
        assertTrue(failures.isEmpty(), () -> failures.toString());
        assertEquals(1_000_000L, table.get("n"));
        assertEquals(1_000_000L, Math.max(largest, Math.max(most[0], most[1])), "the last increment saw the total");
        assertEquals(1, table.size());
    }

    @Test
    @Timeout(60)
    void shouldChangeAValueOnlyWhenItIsTheOneExpectedUnderContention() throws Exception {
        int times = 20_000;
        SharedTable table = new SharedTable();
        table.set("n", 0);
        // each compare-and-set loop adds 1 to "n" and counts the tries that lost a race
        LuaThread lua = LuaWorkers.start("cas", """
                local sync = require("ljasync.sync")
                local t, times = sync.wrap((...)), select(2, ...)
                return function()
                  for _ = 1, times do
                    repeat local n = t:get("n") until t:cas("n", n, n + 1)
                  end
                end""", table, times);
        for (int i = 0; i < times; i++) {
            Object n;
            do {
                n = table.get("n");
            } while (!table.compareAndSet("n", n, (Long) n + 1));
        }
        LuaWorkers.joinAll(JOIN, List.of(lua));
        assertEquals(2L * times, table.get("n"));

        assertTrue(table.compareAndSet("absent", null, "made"), "null expects no value");
        assertFalse(table.compareAndSet("absent", null, "again"));
        assertTrue(table.compareAndSet("absent", "made", null), "null removes");
        assertNull(table.get("absent"));
        table.set("x", 1.0);
        assertTrue(table.compareAndSet("x", 1L, "one"), "numbers compare by value");
        table.set("big", new BigInteger("18446744073709551615"));
        assertFalse(table.compareAndSet("big", -1L, 0), "a uint64_t is not the number -1");
        assertTrue(table.compareAndSet("big", new BigInteger("18446744073709551615"), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.compareAndSet("x", Map.of(1, 2), 3));
        assertTrue(e.getMessage().contains("not a table"), e.getMessage());

        try (LuaState state = LuaState.open()) {
            assertArrayEquals(new Object[] {true, false, true, 0.5, true}, state.run("""
                    local sync = require("ljasync.sync")
                    local t = sync.wrap(...)
                    local made = t:cas("y", nil, 0)
                    local again = t:cas("y", nil, 1)
                    local zero = t:cas("y", -0, 0.5)
                    return made, again, zero, t:get("y"), t:cas("big", 0, "z")""", "cas", table));
        }
    }

    @Test
    @Timeout(30)
    void shouldShareValuesByTheChannelRuleBetweenStatesAndJava() throws Exception {
        SharedTable table = new SharedTable();
        table.set("config", Map.of("name", "demo", "sizes", List.of(1, 2, 3)));
        table.set(1, "one");
        table.set(true, new byte[] {0, (byte) 0xff});
        table.set(-0.0, "zero");
        table.set("max", Long.MAX_VALUE);
        try (LuaState a = LuaState.open(); LuaState b = LuaState.open()) {
            Object[] r = a.run("""
                    local sync = require("ljasync.sync")
                    local t = sync.wrap(...)
                    local c = t:get("config")
                    t:set("from a", {list = {10, 20}, shared = c})
                    t:set("gone", 1)
                    t:set("gone", nil)
                    return c.name, #c.sizes, t:get(1.0), #t:get(true), t:get(0), tostring(t:get("max")), t:get("none"),
                      t:size()""", "a", table);
            assertArrayEquals(new Object[] {"demo", 3L, "one", 2L, "zero", "9223372036854775807LL", null, 6L}, r);
            assertArrayEquals(new Object[] {20L, "demo", true}, b.run("""
                    local sync = require("ljasync.sync")
                    local t = sync.wrap(...)
                    local v = t:get("from a")
                    return v.list[2], v.shared.name, t:get("config") ~= t:get("config")""", "b", table),
                    "a copy each time");
        }
        LuaTable fromA = (LuaTable) table.get("from a");
        assertEquals(List.of(10L, 20L), ((LuaTable) fromA.get("list")).toList());
        assertEquals("one", table.get(1.0));
        assertEquals("zero", table.get(0));
        assertEquals(Long.MAX_VALUE, table.get("max"));
        assertArrayEquals(new byte[] {0, (byte) 0xff}, (byte[]) table.get(true));
        assertEquals("one", table.remove(1L));
        assertNull(table.remove(1L));
        assertEquals(5, table.size());
        table.clear();
        assertEquals(0, table.size());
        assertEquals(new LuaTable(), table.snapshot());
    }

    @Test
    @Timeout(30)
    void shouldSnapshotThePairsOfOneMomentWhileAWriterRuns() throws Exception {
        SharedTable table = new SharedTable();
        // the writer sets key i before it sets "count" to i: a snapshot with count c has keys 1 to c
        LuaThread writer = LuaWorkers.start("writer", """
                local sync = require("ljasync.sync")
                local t = sync.wrap(...)
                return function()
                  for i = 1, 20000 do
                    t:set(i, i * 2)
                    t:set("count", i)
                  end
                end""", table);
        int snapshots = 0;
        try (LuaState lua = LuaState.open()) {
            while (writer.isAlive() || snapshots < 2) {
                LuaTable java = table.snapshot();
                long count = (Long) java.getOrDefault("count", 0L);
                assertTrue(java.size() >= count + (count > 0 ? 1 : 0), "keys 1 to " + count + " and count");
                for (long i = 1; i <= count; i++) {
                    assertEquals(i * 2, java.get(i));
                }
                Object[] r = lua.run("""
                        local t = require("ljasync.sync").wrap(...)
                        local s = t:snapshot()
                        local count = s.count or 0
                        for i = 1, count do if s[i] ~= i * 2 then return false end end
                        return true""", "snapshot", table);
                assertArrayEquals(new Object[] {true}, r);
                snapshots++;
            }
        }
        LuaWorkers.joinAll(JOIN, List.of(writer));
        assertEquals(20_001, table.size());
    }

    @Test
    @Timeout(30)
    void shouldGetAndSnapshotValuesLargerThanTheStatesBuffers() {
        SharedTable table = new SharedTable();
        String large = "x".repeat(300_000);
        table.set("large", large);
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local t = sync.wrap(...)
                    t:set("lua", string.rep("y", 200000))
                    local s = t:snapshot()
                    return #t:get("large"), #s.large, #s.lua, t:get("large") == s.large""", "large", table);
            assertArrayEquals(new Object[] {300_000L, 300_000L, 200_000L, true}, r);
        }
        assertEquals("y".repeat(200_000), table.get("lua"));
    }

    @Test
    void shouldPassTablesBetweenJavaAndLuaByHandle() {
        SharedTable fromJava = new SharedTable();
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local t = sync.wrap(...)
                    t:set("seen", true)
                    local mine = sync.table()
                    mine:set("k", "v")
                    kept = mine
                    return mine:handle(), tostring(t):match("^shared table %d+$") ~= nil""", "handles", fromJava);
            SharedTable fromLua = SharedTable.fromHandle((Long) r[0]);
            assertEquals("v", fromLua.get("k"));
            assertEquals(true, r[1]);
            assertEquals(true, fromJava.get("seen"));
            assertEquals(fromLua, SharedTable.fromHandle(fromLua.handle()));
            assertArrayEquals(new Object[] {"v"}, lua.run("return require('ljasync.sync').wrap((...).inner.t):get('k')",
                    "nested", Map.of("inner", Map.of("t", fromLua))), "a table in a Map crosses as its handle too");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SharedTable.fromHandle(new Channel().handle()));
            assertTrue(e.getMessage().contains("(it is a channel)"), e.getMessage());
        }
    }

    @Test
    @Timeout(30)
    void shouldDropATableMadeInLuaOnceNoWrapperAndNoJavaObjectRefersToIt() throws Exception {
        long handle = handleOfATableMadeInAClosedState();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) { // the Java objects of the helper are unreachable: once their cleaners run, the table is gone
            System.gc();
            try {
                SharedTable.fromHandle(handle).handle();
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("handle " + handle) // gone, or going as it was looked up
                        && e.getMessage().contains("released once nothing referred to it"), e.getMessage());
                return;
            }
            assertTrue(System.nanoTime() < deadline, "the table was not released in 10 s");
            Thread.sleep(10);
        }
    }

    /** A table made in Lua, held by a Java object when its state closed, and that object, now unreachable. */
    private static long handleOfATableMadeInAClosedState() {
        SharedTable held;
        try (LuaState lua = LuaState.open()) {
            long handle = (Long) lua.run("t = require('ljasync.sync').table() t:set('k', {1, 2}) return t:handle()")[0];
            held = SharedTable.fromHandle(handle);
        }
        assertEquals(List.of(1L, 2L), ((LuaTable) held.get("k")).toList(), "the Java object keeps it");
        return held.handle();
    }

    @Test
    void shouldRefuseWhatIsNotAKeyOrCannotBeStoredNamingIt() {
        SharedTable table = new SharedTable();
        table.set("word", "text");
        assertMessage("a shared table has a null key", () -> table.get(null));
        assertMessage("has a NaN key", () -> table.set(Double.NaN, 1));
        assertMessage("has a key of class java.util.ImmutableCollections", () -> table.get(List.of(1)));
        assertMessage("beyond \u00b12^53", () -> table.get(1L << 60));
        assertMessage("cannot increment key \"word\": it holds a string, not a number",
                () -> table.increment("word", 1));
        table.set("half", 0.5);
        assertMessage("a long increment needs whole numbers", () -> table.increment("half", 1));
        assertEquals(0.5, table.get("half"), "nothing changed");
        assertMessage("value.f is a java.lang.Thread", () -> table.set("k", Map.of("f", Thread.currentThread())));
        try (LuaState lua = LuaState.open()) {
            lua.set("t", table);
            assertLuaError(lua, "t = require('ljasync.sync').wrap(t) t:get(nil)",
                    "shared table:get: a key is a string, a boolean or a number, not nil");
            assertLuaError(lua, "t:set(0/0, 1)", "not NaN");
            assertLuaError(lua, "t:set({}, 1)", "not a table");
            assertLuaError(lua, "t:set('f', {print})", "cannot store value[1]: it is a function");
            assertLuaError(lua, "t:increment('word')", "cannot increment key \"word\": it holds a string");
            assertLuaError(lua, "t:increment('n', '1')", "increment adds a number, not string");
            assertLuaError(lua, "t:cas('n', {}, 1)", "cas compares scalars");
            assertLuaError(lua, "t.get('n')", "needs a shared table (call it with a colon");
            assertArrayEquals(new Object[] {1.5, 2L}, lua.run("return t:increment('m', 1.5), t:size() - 1"));
            assertArrayEquals(new Object[] {"text"}, lua.run("return t:get('word')"), "the errors changed nothing");
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    @Timeout(30)
    void shouldRaiseAtTheCallersLineWhenAFinalizerStoresOrSendsWhatCannotCrossDuringAnOperation() {
        // the finalizers run during the table's and the channel's operations, when their own run nested
        SharedTable table = new SharedTable();
        try (LuaState lua = LuaState.open(); LuaState plain = LuaState.builder().processExit(true).open();
             Channel channel = new Channel()) {
            for (LuaState state : List.of(lua, plain)) { // pcall is the sandbox's in the first, LuaJIT's in the other
                Object[] r = state.run("""
                        local sync = require("ljasync.sync")
                        local t, ch, errors = sync.wrap((...)), sync.wrap((select(2, ...))), {}
                        for i = 1, 300 do
                          local p = newproxy(true)
                          getmetatable(p).__gc = function()
                            errors[select(2, pcall(function() t:set("bad", {f = print}) end))] = true
                            errors[select(2, pcall(function() ch:send({f = print}) end))] = true
                          end
                          t:set(i, {i, {i}})
                          ch:send({i, t:get(i)})
                          ch:receive()
                        end
                        collectgarbage()
                        local list = {}
                        for e in pairs(errors) do list[#list + 1] = e end
                        table.sort(list)
                        return unpack(list)""", "finalizers", table, channel);
                assertArrayEquals(new Object[] {
                        "finalizers:6: ljasync.sync: cannot store value.f: it is a function, which cannot be copied into"
                                + " another state",
                        "finalizers:7: ljasync.sync: cannot send value.f: it is a function, which cannot be copied into"
                                + " another state"}, r, () -> java.util.Arrays.toString(r));
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepEveryValueWhenFinalizersUseTheTableDuringItsOperations() {
        int n = 1_000;
        SharedTable table = new SharedTable();
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local t, n = require("ljasync.sync").wrap((...)), select(2, ...)
                    local refused = {}
                    for i = 1, n do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function()
                        local _, e = pcall(function() t:set("bad", {f = print}) end)
                        refused[e] = (refused[e] or 0) + 1
                        t:increment("finalized")
                        t:set("gc" .. i, {i, "gc" .. i})
                        assert(t:get("gc" .. i)[2] == "gc" .. i)
                        t:cas("last", t:get("last"), i)
                      end
                      t:set(i, {i = i, s = string.rep("x", i % 300), t = {i, {a = i}}})
                      local v = t:get(i)
                      assert(v.i == i and #v.s == i % 300 and v.t[2].a == i, "value " .. i .. " changed")
                      if i % 250 == 0 then assert(t:snapshot()[i].i == i) end
                    end
                    collectgarbage()
                    collectgarbage()
                    local e, times = next(refused)
                    return t:get("finalized"), e, times, (next(refused, e))""", "finalizers", table, n);
            assertArrayEquals(new Object[] {(long) n, "finalizers:6: ljasync.sync: cannot store value.f: it is a"
                    + " function, which cannot be copied into another state", (long) n, null}, r,
                    "one error, at the line of the set, in a finalizer run during an operation or after");
        }
        LuaTable all = table.snapshot();
        assertEquals(2 * n + 2, all.size());
        for (long i = 1; i <= n; i++) {
            assertEquals(List.of(i, "gc" + i), ((LuaTable) all.get("gc" + i)).toList());
            assertEquals(i, ((LuaTable) all.get(i)).get("i"));
        }
    }
}
