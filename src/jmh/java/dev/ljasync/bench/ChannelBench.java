package dev.ljasync.bench;

import dev.ljasync.Channel;
import dev.ljasync.LuaState;
import dev.ljasync.LuaThread;
import dev.ljasync.internal.values.Messages;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Channel throughput: one producer thread sending integers without pause, the benchmark thread receiving BATCH of
 * them per invocation (time per value received). This library's channels against an ArrayBlockingQueue of the same
 * capacity, the JDK's bounded queue:
 * <ul>
 *   <li>{@code channel}: a {@link LuaThread} sends, Java receives (the Lua encoding, the Java decoding);</li>
 *   <li>{@code channelLuaToLua}: a LuaThread sends, Lua code in a {@link LuaState} receives (each side encodes or
 *       decodes in Lua, and each message crosses into Java and back through one upcall per side);</li>
 *   <li>{@code channelJavaToJava}: a Java thread sends, Java receives (the Java encoding both ways);</li>
 *   <li>{@code arrayBlockingQueue}: a Java thread puts boxed Longs, Java takes them;</li>
 *   <li>{@code cChannel}, the C floor: a pthread copies the same encoded messages ({@link Messages}) into a ring
 *       buffer behind a mutex and two condition variables, and the benchmark thread, in one downcall per batch,
 *       copies them out and decodes them (src/bench/c/baselines.c).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChannelBench {

    static final int CAPACITY = 1024;
    static final int BATCH = 1000;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(10);

    /** An ArrayBlockingQueue that a platform thread fills until tearDown interrupts it. */
    @State(Scope.Benchmark)
    public static class Queue {
        final BlockingQueue<Long> queue = new ArrayBlockingQueue<>(CAPACITY);
        private Thread producer;

        @Setup
        public void start() throws InterruptedException {
            producer = Thread.ofPlatform().name("bench-producer").start(() -> {
                try {
                    for (long i = 0; ; i++) {
                        queue.put(i);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Baselines.expect("the queue's first value", 0, queue.take());
        }

        @TearDown
        public void stop() throws InterruptedException {
            producer.interrupt();
            if (!producer.join(JOIN_TIMEOUT)) {
                throw new IllegalStateException("the producer thread did not stop in " + JOIN_TIMEOUT);
            }
        }
    }

    // A LuaThread sending 0, 1, 2, ... until the channel is closed, when its send raises an error and the thread ends.
    private static final String LUA_PRODUCER = """
            local channel = require("ljasync.sync").wrap(...)
            return function()
              local i = 0
              while true do
                channel:send(i)
                i = i + 1
              end
            end""";

    /** A channel of CAPACITY that a LuaThread fills until tearDown closes it. */
    @State(Scope.Benchmark)
    public static class LuaProducer {
        final Channel channel = new Channel(CAPACITY);
        private LuaThread producer;

        @Setup
        public void start() throws InterruptedException {
            producer = LuaThread.builder().name("bench-lua-producer")
                    .start(LUA_PRODUCER, MemorySegment.NULL, channel);
            Baselines.expect("the channel's first value", 0, (Long) channel.receive());
        }

        @TearDown
        public void stop() throws InterruptedException {
            channel.close();
            if (!producer.join(JOIN_TIMEOUT)) {
                throw new IllegalStateException("the Lua producer did not stop in " + JOIN_TIMEOUT);
            }
            producer.close();
        }
    }

    /** LuaProducer's channel, received from by Lua code in a state of its own. */
    @State(Scope.Benchmark)
    public static class LuaConsumer {
        LuaState consumer;

        @Setup
        public void start(LuaProducer producer) {
            consumer = LuaState.open();
            consumer.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    function consume(n)
                      local sum = 0
                      for _ = 1, n do sum = sum + channel:receive() end
                      return sum
                    end""", "consumer", producer.channel);
        }

        @TearDown
        public void stop() {
            consumer.close();
        }
    }

    /** A channel of CAPACITY that a Java thread fills until tearDown closes it. */
    @State(Scope.Benchmark)
    public static class JavaProducer {
        final Channel channel = new Channel(CAPACITY);
        private Thread producer;

        @Setup
        public void start() throws InterruptedException {
            producer = Thread.ofPlatform().name("bench-java-producer").start(() -> {
                try {
                    for (long i = 0; ; i++) {
                        channel.send(i);
                    }
                } catch (Channel.ClosedException | InterruptedException end) {
                    // tearDown closed the channel
                }
            });
            Baselines.expect("the channel's first value", 0, (Long) channel.receive());
        }

        @TearDown
        public void stop() throws InterruptedException {
            channel.close();
            if (!producer.join(JOIN_TIMEOUT)) {
                throw new IllegalStateException("the Java producer did not stop in " + JOIN_TIMEOUT);
            }
        }
    }

    /**
     * The C floor's channel of CAPACITY slots and its producer pthread, which sends the messages of 0 to BATCH - 1
     * as {@link Messages} encodes them (the bytes that the Java producer sends first) over and over, until tearDown.
     */
    @State(Scope.Benchmark)
    public static class CProducer {
        private final Arena arena = Arena.ofShared();
        MemorySegment channel;

        @Setup
        public void start() throws Throwable {
            byte[][] messages = new byte[BATCH][];
            int total = 0;
            for (int i = 0; i < BATCH; i++) {
                messages[i] = Messages.encode((long) i);
                total += messages[i].length;
            }
            MemorySegment bytes = arena.allocate(total);
            MemorySegment offsets = arena.allocate(JAVA_INT, BATCH + 1);
            int offset = 0;
            for (int i = 0; i < BATCH; i++) {
                MemorySegment.copy(messages[i], 0, bytes, JAVA_BYTE, offset, messages[i].length);
                offsets.setAtIndex(JAVA_INT, i, offset);
                offset += messages[i].length;
            }
            offsets.setAtIndex(JAVA_INT, BATCH, offset);
            channel = (MemorySegment) Baselines.CHANNEL_OPEN.invokeExact(bytes, offsets, BATCH, CAPACITY);
            if (channel.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("the C channel could not start");
            }
            Baselines.expect("the C channel's first " + BATCH + " values", Baselines.expectedSum(BATCH - 1),
                    (long) Baselines.CHANNEL_RECEIVE.invokeExact(channel, BATCH));
        }

        @TearDown
        public void stop() throws Throwable {
            Baselines.CHANNEL_CLOSE.invokeExact(channel);
            arena.close();
        }
    }

    /** This library's channel: BATCH integers sent by a LuaThread, received in Java. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long channel(LuaProducer s) throws InterruptedException {
        return receiveBatch(s.channel);
    }

    /** This library's channel between two Lua states: BATCH integers sent by a LuaThread, received in Lua. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object channelLuaToLua(LuaProducer p, LuaConsumer s) {
        return s.consumer.call("consume", BATCH)[0];
    }

    /** This library's channel between two Java threads: BATCH integers, encoded and decoded in Java. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long channelJavaToJava(JavaProducer s) throws InterruptedException {
        return receiveBatch(s.channel);
    }

    private static long receiveBatch(Channel channel) throws InterruptedException {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += (Long) channel.receive();
        }
        return sum;
    }

    /** The JDK's bounded queue: BATCH values taken from a producer thread. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long arrayBlockingQueue(Queue s) throws InterruptedException {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += s.queue.take();
        }
        return sum;
    }

    /** The C floor: BATCH encoded messages through a mutex + condition variable ring from a producer pthread. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long cChannel(CProducer s) throws Throwable {
        return (long) Baselines.CHANNEL_RECEIVE.invokeExact(s.channel, BATCH);
    }
}
