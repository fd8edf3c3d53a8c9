package dev.ljasync.bench;

import dev.ljasync.Channel;
import dev.ljasync.LuaState;
import org.openjdk.jmh.annotations.*;

import java.util.concurrent.TimeUnit;

/**
 * What a select costs against a receive: the producers of {@link ChannelBench} (a thread sending integers without
 * pause into a channel of {@link ChannelBench#CAPACITY}), received from by a select over that channel and one that
 * stays empty, BATCH values per invocation (time per value). Its baselines are {@code ChannelBench}'s receives from
 * the same producers, {@code channelJavaToJava} and {@code channelLuaToLua}.
 * <ul>
 *   <li>{@code selectJavaToJava}: {@link Channel#select} in Java;</li>
 *   <li>{@code selectLuaToLua}: {@code sync.select} in a {@link LuaState}, the producer a LuaThread.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SelectBench {

    /** A channel nothing is sent to, listed first, so that every select looks at it (and waits in it too). */
    @State(Scope.Benchmark)
    public static class Idle {
        final Channel channel = new Channel();
    }

    /** Lua code in a state of its own that selects over the Lua producer's channel and the idle one. */
    @State(Scope.Benchmark)
    public static class LuaSelector {
        LuaState selector;

        @Setup
        public void start(ChannelBench.LuaProducer producer, Idle idle) {
            selector = LuaState.open();
            selector.run("""
                    local sync = require("ljasync.sync")
                    local channels = {sync.wrap((select(2, ...))), sync.wrap(...)}
                    function consume(n)
                      local sum = 0
                      for _ = 1, n do
                        local _, v = sync.select(channels)
                        sum = sum + v
                      end
                      return sum
                    end""", "selector", producer.channel, idle.channel);
        }

        @TearDown
        public void stop() {
            selector.close();
        }
    }

    /** BATCH integers from a Java thread, each taken by a select over two channels in Java. */
    @Benchmark
    @OperationsPerInvocation(ChannelBench.BATCH)
    public long selectJavaToJava(ChannelBench.JavaProducer s, Idle idle) throws InterruptedException {
        long sum = 0;
        for (int i = 0; i < ChannelBench.BATCH; i++) {
            sum += (Long) Channel.select(idle.channel, s.channel).value();
        }
        return sum;
    }

    /** BATCH integers from a LuaThread, each taken by a select over two channels in Lua. */
    @Benchmark
    @OperationsPerInvocation(ChannelBench.BATCH)
    public Object selectLuaToLua(ChannelBench.LuaProducer p, LuaSelector s) {
        return s.selector.call("consume", ChannelBench.BATCH)[0];
    }
}
