package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** Channels between Lua threads, Lua states and Java threads: delivery, order, timeouts, close and interrupts. */
class ChannelTest {

    private static final Duration JOIN = Duration.ofSeconds(60);

    private static final String PRODUCER = """
            local sync = require("ljasync.sync")
            local channel, p, count = sync.wrap((...)), select(2, ...)
            return function()
              for i = 0, count - 1 do
                channel:send({p = p, i = i})
              end
            end""";

    // Marks each message received in its own region of `seen` (producer * count + i), counts messages that came
    // out of their producer's order, and returns how many it received once the channel is closed and empty.
    private static final String CONSUMER = """
            local sync, ffi = require("ljasync.sync"), require("ffi")
            local channel, seen, disorder, producers, count = sync.wrap((...)), select(2, ...)
            seen, disorder = ffi.cast("uint8_t *", seen), ffi.cast("int64_t *", disorder)
            return function()
              local last = {}
              for p = 0, producers - 1 do last[p] = -1 end
              local received = 0
              while true do
                local m, err = channel:receive()
                if err == "closed" then return received end
                assert(err == nil, err)
                if m.i <= last[m.p] then disorder[0] = disorder[0] + 1 end
                last[m.p] = m.i
                seen[m.p * count + m.i] = seen[m.p * count + m.i] + 1
                received = received + 1
              end
            end""";

    @Test
    @Timeout(120)
    void shouldDeliverAHundredThousandMessagesBetweenLuaThreadsAndJavaOnceEachInOrderPerProducer()
            throws Exception {
        int luaProducers = 3, producers = luaProducers + 1, luaConsumers = 2, consumers = luaConsumers + 1;
        int count = 25_000; // per producer: 100,000 in all
        long region = (long) producers * count;
        try (Arena arena = Arena.ofShared(); Channel channel = new Channel(64)) {
            MemorySegment seen = arena.allocate(consumers * region);
            MemorySegment disorder = arena.allocate(JAVA_LONG, consumers);
            List<LuaThread> luaConsumerThreads = new ArrayList<>();
            for (int c = 0; c < luaConsumers; c++) {
                luaConsumerThreads.add(LuaWorkers.start("consumer-" + c, CONSUMER, channel,
                        seen.asSlice(c * region, region), disorder.asSlice(c * 8L, 8), producers, count));
            }
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            int javaConsumer = luaConsumers;
            Thread javaConsumerThread = Thread.ofPlatform().name("java-consumer").start(() -> {
                long[] last = new long[producers];
                java.util.Arrays.fill(last, -1);
                try {
                    while (true) {
                        Map<?, ?> m = (Map<?, ?>) channel.receive();
                        int p = (int) (long) (Long) m.get("p");
                        long i = (Long) m.get("i");
                        if (i <= last[p]) {
                            disorder.setAtIndex(JAVA_LONG, javaConsumer, disorder.getAtIndex(JAVA_LONG, javaConsumer) + 1);
                        }
                        last[p] = i;
                        long at = javaConsumer * region + p * (long) count + i;
                        seen.set(JAVA_BYTE, at, (byte) (seen.get(JAVA_BYTE, at) + 1));
                    }
                } catch (Channel.ClosedException end) {
                    // every message has been received
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            List<LuaThread> luaProducerThreads = new ArrayList<>();
            for (int p = 0; p < luaProducers; p++) {
                luaProducerThreads.add(LuaWorkers.start("producer-" + p, PRODUCER, channel, p, count));
            }
            int javaProducer = luaProducers;
            for (long i = 0; i < count; i++) {
                channel.send(Map.of("p", javaProducer, "i", i));
            }
            LuaWorkers.joinAll(JOIN, luaProducerThreads);
            channel.close();
            long received = 0;
            for (LuaThread consumer : luaConsumerThreads) {
                assertTrue(consumer.join(JOIN), consumer + " finished");
                assertEquals(LuaThread.Status.FINISHED, consumer.status(), () -> consumer.error().toString());
                received += (Long) consumer.result();
                consumer.close();
            }
            assertTrue(javaConsumerThread.join(JOIN), "the Java consumer finished");
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            for (int c = 0; c < consumers; c++) {
                assertEquals(0, disorder.getAtIndex(JAVA_LONG, c), "messages out of order at consumer " + c);
            }
            long javaReceived = 0;
            for (long at = 0; at < region; at++) {
                int times = 0;
                for (int c = 0; c < consumers; c++) {
                    times += seen.get(JAVA_BYTE, c * region + at);
                }
                if (times != 1) {
                    fail("message " + at % count + " of producer " + at / count + " was received " + times + " times");
                }
                javaReceived += seen.get(JAVA_BYTE, javaConsumer * region + at);
            }
            assertEquals((long) producers * count, received + javaReceived);
            assertEquals(0, channel.size());
        }
    }

    @Test
    @Timeout(30)
    void shouldTimeOutASendToAFullChannelAfterAboutItsTimeout() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel(1)) {
            channel.send("first");
            long started = System.nanoTime();
            assertFalse(channel.send("second", Duration.ofMillis(200)));
            assertElapsed(started, 200);

            started = System.nanoTime();
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    return sync.wrap(...):send("third", 0.2)""", "send", channel);
            assertElapsed(started, 200);
            assertArrayEquals(new Object[] {false, "timeout"}, r);
            r = lua.run("return require('ljasync.sync').wrap(...):send(4.5, 0)", "send", channel); // a number
            assertArrayEquals(new Object[] {false, "timeout"}, r);
            assertEquals(1, channel.size(), "nothing was added");
            assertEquals("first", channel.receive());
        }
    }

    @Test
    @Timeout(30)
    void shouldTimeOutAReceiveFromAnEmptyChannelAfterAboutItsTimeout() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            long started = System.nanoTime();
            assertThrows(TimeoutException.class, () -> channel.receive(Duration.ofMillis(200)));
            assertElapsed(started, 200);

            started = System.nanoTime();
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    return sync.wrap(...):receive(0.2)""", "receive", channel);
            assertElapsed(started, 200);
            assertArrayEquals(new Object[] {null, "timeout"}, r);

            r = lua.run("return require('ljasync.sync').wrap(...):receive(0)", "poll", channel);
            assertArrayEquals(new Object[] {null, "timeout"}, r, "a zero timeout only looks");
        }
    }

    static void assertElapsed(long startedNanos, long millis) {
        long elapsed = (System.nanoTime() - startedNanos) / 1_000_000;
        assertTrue(elapsed >= millis - 5 && elapsed < millis + 2_000, "waited " + elapsed + " ms for " + millis);
    }

    @Test
    @Timeout(30)
    void shouldWakeEveryBlockedReceiverWhenClosed() throws Exception {
        try (Channel channel = new Channel()) {
            List<LuaThread> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(LuaWorkers.start("waiter-" + i, """
                        local channel = require("ljasync.sync").wrap(...)
                        return function()
                          local v, err = channel:receive()
                          return (v == nil and err == "closed") and 1 or 0
                        end""", channel));
            }
            AtomicReference<Throwable> javaWaiter = new AtomicReference<>();
            Thread java = Thread.ofPlatform().start(() -> {
                try {
                    channel.receive();
                } catch (Throwable t) {
                    javaWaiter.set(t);
                }
            });
            Thread.sleep(200);
            assertTrue(java.isAlive() && waiters.stream().allMatch(LuaThread::isAlive), "all wait");
            channel.close();
            assertTrue(java.join(Duration.ofSeconds(10)));
            assertInstanceOf(Channel.ClosedException.class, javaWaiter.get());
            for (LuaThread waiter : waiters) {
                assertTrue(waiter.join(Duration.ofSeconds(10)), waiter + " woke");
                assertEquals(1L, waiter.result(), "receive said the channel is closed");
                waiter.close();
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldWakeABlockedSenderWithAnErrorWhenClosed() throws Exception {
        try (Channel channel = new Channel(1)) {
            channel.send(1);
            LuaThread sender = LuaWorkers.start("sender", """
                    local channel = require("ljasync.sync").wrap(...)
                    return function() channel:send(2) end""", channel);
            Thread.sleep(200);
            assertTrue(sender.isAlive());
            channel.close();
            assertTrue(sender.join(Duration.ofSeconds(10)));
            assertEquals(LuaThread.Status.FAILED, sender.status());
            assertTrue(sender.error().orElseThrow().getMessage().contains("send on a closed channel"),
                    sender.error().orElseThrow().getMessage());
            sender.close();
            assertEquals(1L, channel.receive(), "the value sent before close is still there");
            assertThrows(Channel.ClosedException.class, channel::receive);
        }
    }

    @Test
    void shouldLetReceiversDrainAClosedChannelAndThenSaySo() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            channel.send("a");
            channel.send(null);
            channel.send("c");
            channel.send("d");
            channel.close();
            assertTrue(channel.isClosed());
            assertEquals("a", channel.receive());
            Object[] r = lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    local a, a_err = channel:receive()
                    local b, b_err = channel:receive()
                    local c, c_err = channel:receive(1)
                    local d, d_err = channel:receive()
                    return a, a_err, b, b_err, c, c_err, d, d_err, channel:is_closed()""", "drain", channel);
            assertArrayEquals(new Object[] {null, null, "c", null, "d", null, null, "closed", true}, r);
            assertThrows(Channel.ClosedException.class, channel::receive);
            assertThrows(Channel.ClosedException.class, () -> channel.receive(Duration.ofSeconds(1)));
        }
    }

    @Test
    void shouldRefuseToSendOnAClosedChannel() {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            lua.run("require('ljasync.sync').wrap(...):close()", "close", channel);
            assertTrue(channel.isClosed());
            Channel.ClosedException e = assertThrows(Channel.ClosedException.class, () -> channel.send(1));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(Channel.ClosedException.class, () -> channel.send(1, Duration.ZERO));
            LuaException error = assertThrows(LuaException.class, () -> lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    channel:send(1)""", "send", channel));
            assertEquals("send:2: ljasync.sync: send on a closed channel (channel " + channel.handle() + ")",
                    error.luaMessage());
            assertEquals(0, channel.size());
        }
    }

    @Test
    void shouldRefuseNegativeTimeoutsAndCapacities() {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            assertThrows(IllegalArgumentException.class, () -> channel.send(1, Duration.ofMillis(-1)));
            assertThrows(IllegalArgumentException.class, () -> channel.receive(Duration.ofMillis(-1)));
            assertThrows(IllegalArgumentException.class, () -> new Channel(0));
            assertEquals(0, channel.size(), "a refused send sends nothing");
            for (String call : List.of("ch:send(1, -1)", "ch:receive(-0.5)", "ch:receive(0/0)", "ch:receive('1')")) {
                LuaException e = assertThrows(LuaException.class, () -> lua.run(
                        "local ch = require('ljasync.sync').wrap(...)\n" + call, "timeout", channel));
                assertTrue(e.luaMessage().startsWith("timeout:2: ljasync.sync: a timeout is a number of seconds"),
                        e.luaMessage());
            }
            for (String capacity : List.of("0", "-1", "1.5", "'x'", "2^31")) {
                LuaException e = assertThrows(LuaException.class, () -> lua.run(
                        "require('ljasync.sync').channel(" + capacity + ")", "capacity"));
                assertTrue(e.luaMessage().contains("a channel's capacity must be a whole number from 1"),
                        e.luaMessage());
            }
            assertEquals(0, channel.size());
        }
    }

    @Test
    @Timeout(30)
    void shouldCarryAValueLargerThanTheReceiverBufferWithoutLosingIt() throws Exception {
        try (LuaState sender = LuaState.open(); LuaState receiver = LuaState.open(); Channel channel = new Channel()) {
            byte[] big = new byte[3 << 20];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31 + 7);
            }
            channel.send(big);
            channel.send("small");
            sender.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    channel:send({data = string.rep("\\0\\1\\2", 1000000)})""", "send", channel);
            Object[] r = receiver.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    local big = channel:receive(5)
                    local small = channel:receive()
                    local t = channel:receive(5)
                    return big, small, #t.data, t.data == string.rep("\\0\\1\\2", 1000000)""", "receive", channel);
            assertArrayEquals(big, (byte[]) r[0]);
            assertEquals("small", r[1]);
            assertEquals(3_000_000L, r[2]);
            assertEquals(true, r[3]);
        }
    }

    @Test
    @Timeout(30)
    void shouldStopAWaitInLuaWhenItsThreadIsInterruptedAndKeepTheFlag() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    lua.run("require('ljasync.sync').wrap(...):receive()", "wait", channel);
                } catch (Throwable t) {
                    thrown.set(t);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            });
            Thread.sleep(200);
            waiter.interrupt();
            assertTrue(waiter.join(Duration.ofSeconds(10)));
            LuaException e = assertInstanceOf(LuaException.class, thrown.get());
            assertTrue(e.luaMessage().contains("interrupted while waiting"), e.luaMessage());
            assertTrue(flagKept.get(), "the interrupt flag stays set");
            channel.send("still works");
            assertEquals("still works", lua.run("return require('ljasync.sync').wrap(...):receive()", "again",
                    channel)[0]);
        }
    }

    @Test
    @Timeout(30)
    void shouldLetJavaThreadsSendAndReceiveThroughABoundedChannel() throws Exception {
        try (Channel channel = new Channel(2)) {
            int count = 10_000;
            Thread producer = Thread.ofPlatform().start(() -> {
                try {
                    for (long i = 0; i < count; i++) {
                        channel.send(i);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (long i = 0; i < count; i++) {
                assertEquals(i, channel.receive(Duration.ofSeconds(10)));
            }
            assertTrue(producer.join(Duration.ofSeconds(10)));
        }
    }
}
