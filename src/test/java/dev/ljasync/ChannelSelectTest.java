package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Receiving from whichever of several channels has a value first, from Lua and Java: which, timeouts, close, fairness.
 */
class ChannelSelectTest {

    private static final Duration JOIN = Duration.ofSeconds(30);

    @Test
    @Timeout(30)
    void shouldReceiveFromTheChannelThatHasAValueAndSayWhichInJavaAndLua() throws Exception {
        try (LuaState lua = LuaState.open(); Channel a = new Channel(); Channel b = new Channel();
             Channel c = new Channel()) {
            b.send(Map.of("job", 7));
            Channel.Selected s = Channel.select(Duration.ofSeconds(1), a, b, c);
            assertEquals(1, s.index());
            assertEquals(b, s.channel());
            assertEquals(Map.of("job", 7L), s.value());
            assertFalse(s.closed());

            c.send(null);
            assertArrayEquals(new Object[] {3L, null}, lua.run("""
                    local sync = require("ljasync.sync")
                    local a, b, c = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                    return sync.select({a, b, c}, 1)""", "select", a, b, c), "index 3, the value nil");
            b.send("x");
            assertArrayEquals(new Object[] {2L, "x"}, lua.run("""
                    local sync = require("ljasync.sync")
                    return sync.select({sync.wrap((...)), sync.wrap((select(2, ...)))})""", "untimed", a, b));
            assertEquals(0, a.size() + b.size() + c.size());
        }
    }

    @Test
    @Timeout(30)
    void shouldWakeASelectWaitingInALuaThreadOrJavaWhenAValueComes() throws Exception {
        try (Channel a = new Channel(); Channel b = new Channel(); Channel back = new Channel()) {
            LuaThread waiter = LuaWorkers.start("selector", """
                    local sync = require("ljasync.sync")
                    local a, b, back = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                    return function()
                      local i, v, err = sync.select({a, b})
                      back:send(i * 100 + v)
                      i, v, err = sync.select({a, b}, 0.05)
                      back:send(err)
                    end""", a, b, back);
            Thread.sleep(100);
            assertTrue(waiter.isAlive(), "it waits: nothing was sent");
            b.send(5);
            assertEquals(205L, back.receive(JOIN));
            assertEquals("timeout", back.receive(JOIN));
            LuaWorkers.joinAll(JOIN, List.of(waiter));

            AtomicReference<Channel.Selected> selected = new AtomicReference<>();
            Thread java = Thread.ofPlatform().start(() -> {
                try {
                    selected.set(Channel.select(a, b, back));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            assertTrue(java.isAlive());
            LuaWorkers.joinAll(JOIN, List.of(LuaWorkers.start("sender", """
                    local sync = require("ljasync.sync")
                    local a = sync.wrap(...)
                    return function() a:send("from lua") end""", a)));
            assertTrue(java.join(JOIN));
            assertEquals(new Channel.Selected(0, a, "from lua", false), selected.get());
        }
    }

    @Test
    @Timeout(30)
    void shouldTimeOutAfterAboutItsTimeoutAndOnlyLookWithZero() throws Exception {
        try (LuaState lua = LuaState.open(); Channel a = new Channel(); Channel b = new Channel()) {
            long started = System.nanoTime();
            TimeoutException e = assertThrows(TimeoutException.class,
                    () -> Channel.select(Duration.ofMillis(200), a, b));
            ChannelTest.assertElapsed(started, 200);
            assertTrue(e.getMessage().contains("[" + a.handle() + ", " + b.handle() + "]"), e.getMessage());
            assertThrows(TimeoutException.class, () -> Channel.select(Duration.ZERO, a, b));

            started = System.nanoTime();
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    return sync.select({sync.wrap((...)), sync.wrap((select(2, ...)))}, 0.2)""", "timed", a, b);
            ChannelTest.assertElapsed(started, 200);
            assertArrayEquals(new Object[] {null, null, "timeout"}, r);
        }
    }

    @Test
    @Timeout(30)
    void shouldReportAClosedEmptyChannelAsClosedAndWakeOnClose() throws Exception {
        try (LuaState lua = LuaState.open(); Channel a = new Channel(); Channel b = new Channel()) {
            b.send("last");
            b.close();
            assertEquals(new Channel.Selected(1, b, "last", false), Channel.select(Duration.ZERO, a, b),
                    "what was sent before the close is received first");
            assertEquals(new Channel.Selected(1, b, null, true), Channel.select(Duration.ZERO, a, b));
            assertArrayEquals(new Object[] {2L, null, "closed"}, lua.run("""
                    local sync = require("ljasync.sync")
                    return sync.select({sync.wrap((...)), sync.wrap((select(2, ...)))}, 0)""", "closed", a, b));

            LuaThread waiter = LuaWorkers.start("waiter", """
                    local sync = require("ljasync.sync")
                    local a = sync.wrap(...)
                    return function()
                      local i, v, err = sync.select({a, a})
                      return err == "closed" and i or -1
                    end""", a);
            Thread.sleep(100);
            assertTrue(waiter.isAlive());
            a.close();
            assertTrue(waiter.join(JOIN));
            assertEquals(LuaThread.Status.FINISHED, waiter.status(), () -> waiter.error().toString());
            assertTrue(List.of(1L, 2L).contains(waiter.result()), "a channel listed twice is either place");
            waiter.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldServeEveryChannelInTurnWhenOneIsAlwaysFull() throws Exception {
        int rounds = 1000;
        try (LuaState lua = LuaState.open(); Channel busy = new Channel(); Channel quiet = new Channel();
             Channel quieter = new Channel()) {
            for (int i = 0; i < 3 * rounds; i++) {
                busy.send(i);
            }
            for (int i = 0; i < rounds; i++) {
                quiet.send(i);
                quieter.send(i);
            }
            Object[] counts = lua.run("""
                    local sync = require("ljasync.sync")
                    local channels = {sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))}
                    local counts = {0, 0, 0}
                    for _ = 1, 3 * select(4, ...) do
                      local i = sync.select(channels, 1)
                      counts[i] = counts[i] + 1
                    end
                    return counts[1], counts[2], counts[3]""", "fair", busy, quiet, quieter, rounds);
            assertArrayEquals(new Object[] {(long) rounds, (long) rounds, (long) rounds}, counts,
                    "busy, quiet, quieter: each served once a round");
            assertEquals(2 * rounds, busy.size());

            for (int i = 0; i < rounds; i++) {
                quiet.send(i);
            }
            int[] java = new int[2];
            for (int i = 0; i < 2 * rounds; i++) {
                java[Channel.select(Duration.ofSeconds(1), busy, quiet).index()]++;
            }
            assertArrayEquals(new int[] {rounds, rounds}, java, "busy and quiet from Java, one each a round");
        }
    }

    @Test
    @Timeout(60)
    void shouldReceiveEveryValueOnceFromProducersOnThreadsUntilEveryChannelIsClosed() throws Exception {
        int luaProducers = 3, count = 20_000;
        Channel[] channels = new Channel[luaProducers + 1];
        channels[0] = new Channel(); // unbounded; the others bounded, so that their producers wait at times
        for (int i = 1; i < channels.length; i++) {
            channels[i] = new Channel(16);
        }
        // each selector sums what it receives and drops the channels that report closed
        String selector = """
                local sync = require("ljasync.sync")
                local channels, n = {}, select("#", ...)
                for i = 1, n do channels[i] = sync.wrap((select(i, ...))) end
                return function()
                  local sum, received = 0, 0
                  while #channels > 0 do
                    local i, v, err = sync.select(channels, 10)
                    assert(err ~= "timeout", "a select waited 10 s")
                    if err == "closed" then
                      table.remove(channels, i)
                    else
                      sum, received = sum + v, received + 1
                    end
                  end
                  return sum * 1000000 + received
                end""";
        List<LuaThread> selectors = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            selectors.add(LuaWorkers.start("selector-" + s, selector, (Object[]) channels));
        }
        AtomicLong javaSum = new AtomicLong(), javaReceived = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Thread javaSelector = Thread.ofPlatform().start(() -> {
            List<Channel> open = new ArrayList<>(Arrays.asList(channels));
            try {
                while (!open.isEmpty()) {
                    Channel.Selected s = Channel.select(Duration.ofSeconds(10), open.toArray(Channel[]::new));
                    if (s.closed()) {
                        open.remove(s.index());
                    } else {
                        javaSum.addAndGet((Long) s.value());
                        javaReceived.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        List<LuaThread> producers = new ArrayList<>();
        for (int p = 1; p <= luaProducers; p++) {
            producers.add(LuaWorkers.start("producer-" + p, """
                    local sync = require("ljasync.sync")
                    local channel, count = sync.wrap((...)), select(2, ...)
                    return function()
                      for i = 1, count do channel:send(i) end
                      channel:close()
                    end""", channels[p], count));
        }
        for (long i = 1; i <= count; i++) {
            channels[0].send(i);
        }
        channels[0].close();
        LuaWorkers.joinAll(JOIN, producers);
        long sum = 0, received = 0;
        for (LuaThread s : selectors) {
            assertTrue(s.join(JOIN), s + " finished");
            assertEquals(LuaThread.Status.FINISHED, s.status(), () -> s.error().toString());
            long r = (Long) s.result();
            sum += r / 1_000_000;
            received += r % 1_000_000;
            s.close();
        }
        assertTrue(javaSelector.join(JOIN));
        assertTrue(failures.isEmpty(), () -> failures.toString());
        assertEquals((long) channels.length * count, received + javaReceived.get(), "values received");
        assertEquals((long) channels.length * count * (count + 1) / 2, sum + javaSum.get(), "each value once");
    }

    @Test
    @Timeout(30)
    void shouldSelectAValueLargerThanTheStatesBufferWhole() throws Exception {
        try (LuaState lua = LuaState.open(); Channel a = new Channel(); Channel b = new Channel()) {
            b.send(Map.of("text", "x".repeat(300_000), "list", List.of(1, 2, 3)));
            a.send("y".repeat(100_000));
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local channels = {sync.wrap((...)), sync.wrap((select(2, ...)))}
                    local i, v = sync.select(channels, 1)
                    local j, w = sync.select(channels, 1)
                    if i == 2 then i, v, j, w = j, w, i, v end
                    return i, #v, j, #w.text, #w.list""", "large", a, b);
            assertArrayEquals(new Object[] {1L, 100_000L, 2L, 300_000L, 3L}, r);
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepEveryValueWhenAFinalizerSelectsDuringASelect() throws Exception {
        int n = 3_000;
        try (LuaState lua = LuaState.open(); Channel main = new Channel(); Channel side = new Channel();
             Channel out = new Channel()) {
            for (int i = 1; i <= n; i++) {
                main.send(Map.of("i", i, "t", List.of(i, "v" + i)));
                side.send(List.of(-i, "side" + i));
            }
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local main, side, out = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                    local n = select(4, ...)
                    for i = 1, n do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function() out:send((select(2, sync.select({side}, 0)))) end
                      local k, v = sync.select({main}, 0)
                      assert(k == 1 and v.i == i and v.t[1] == i and v.t[2] == "v" .. i, "message " .. i .. " changed")
                    end
                    collectgarbage()
                    collectgarbage()
                    return main:size(), side:size()""", "selects", main, side, out, n);
            assertArrayEquals(new Object[] {0L, 0L}, r);
            assertEquals(n, out.size());
            for (int i = 1; i <= n; i++) {
                assertEquals(Map.of(1L, (long) -i, 2L, "side" + i), out.receive(), "side message " + i);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldEndAJavaSelectWhenItsThreadIsInterrupted() throws Exception {
        try (Channel a = new Channel(); Channel b = new Channel()) {
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    Channel.select(a, b);
                } catch (Throwable t) {
                    ended.set(t);
                }
            });
            Thread.sleep(100);
            waiter.interrupt();
            assertTrue(waiter.join(JOIN));
            assertInstanceOf(InterruptedException.class, ended.get());
            a.send("still there");
            assertEquals("still there", a.receive(Duration.ZERO), "nothing was taken");
        }
    }

    @Test
    @Timeout(30)
    void shouldEndASelectWaitingInLuaWhenItsThreadIsCancelled() throws Exception {
        try (Channel a = new Channel(); LuaThread thread = LuaThread.builder().cancellable(true).start("""
                local sync = require("ljasync.sync")
                local a = sync.wrap(...)
                return function()
                  while true do pcall(sync.select, {a, a}) end -- a caught error does not undo the cancel
                end""", MemorySegment.NULL, a)) {
            assertFalse(thread.join(Duration.ofMillis(100)), "it waits");
            thread.cancel();
            assertTrue(thread.join(Duration.ofSeconds(5)), "the cancel ended the wait");
            assertEquals(LuaThread.Status.CANCELLED, thread.status(), () -> thread.error().toString());
            a.send("kept");
            assertEquals("kept", a.receive(Duration.ZERO));
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseAnUntimedSelectThatWouldPinAVirtualThread() throws Exception {
        try (Channel a = new Channel()) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread virtual = Thread.ofVirtual().start(() -> {
                try (LuaState lua = LuaState.open()) {
                    outcome.set(lua.run("local sync = require('ljasync.sync') return sync.select({sync.wrap(...)})",
                            "pinned", a));
                } catch (LuaException e) {
                    outcome.set(e.luaMessage());
                }
            });
            assertTrue(virtual.join(JOIN));
            assertTrue(outcome.get() instanceof String m && m.contains("select") && m.contains("virtual thread"),
                    String.valueOf(outcome.get()));
        }
    }

    @Test
    void shouldRefuseWhatIsNotAListOfChannelsNamingIt() throws Exception {
        try (LuaState lua = LuaState.open(); Channel a = new Channel()) {
            lua.set("a", a);
            lua.run("sync = require('ljasync.sync') a = sync.wrap(a)");
            assertLuaError(lua, "sync.select(a)", "select takes a table of channels (and a timeout), not a channel");
            assertLuaError(lua, "sync.select({})", "select needs at least one channel");
            assertLuaError(lua, "sync.select({a, sync.mutex()})", "select takes channels; item 2 is a mutex");
            assertLuaError(lua, "sync.select({a, 5})", "item 2 is a number");
            assertLuaError(lua, "sync.select({a}, -1)", "a timeout is a number of seconds");
        }
        assertThrows(IllegalArgumentException.class, () -> Channel.select(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> Channel.select(Duration.ZERO, new Channel(), null));
        assertThrows(IllegalArgumentException.class, () -> Channel.select(Duration.ofSeconds(-1), new Channel()));
    }

    /** Asserts that {@code code} raises an error that contains {@code expected}, at the line of the call. */
    static void assertLuaError(LuaState lua, String code, String expected) {
        LuaException e = assertThrows(LuaException.class, () -> lua.run(code));
        assertTrue(e.luaMessage().contains(expected), e.luaMessage());
        assertTrue(e.luaMessage().startsWith("chunk:1:"), "raised at the caller's line: " + e.luaMessage());
    }
}
