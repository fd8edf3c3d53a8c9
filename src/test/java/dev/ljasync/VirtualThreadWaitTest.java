package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Waits in ljasync.sync on virtual threads: Lua code runs inside a native call, so a wait there pins the carrier.
 * In a child JVM with one carrier, where a pinned carrier leaves no room for anyone else.
 */
class VirtualThreadWaitTest {

    private static final String[] ONE_CARRIER = {"-Djdk.virtualThreadScheduler.parallelism=1",
            "-Djdk.virtualThreadScheduler.maxPoolSize=1"};

    @Test
    @Timeout(60)
    void shouldRefuseAnUntimedWaitThatWouldPinTheCarrier() {
        ChildJvm.run(VirtualThreadWaitTest.class, "untimedReceivers", ONE_CARRIER).assertPrinted("no deadlock");
    }

    @Test
    @Timeout(60)
    void shouldBoundATimedWaitOnAVirtualThread() {
        ChildJvm.run(VirtualThreadWaitTest.class, "timedReceivers", ONE_CARRIER).assertPrinted("no deadlock");
    }

    /** Two receivers in Lua without a timeout and a sender, all virtual, on one carrier. */
    static void untimedReceivers() throws Exception {
        try (Channel channel = new Channel()) {
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try (LuaState lua = LuaState.open()) {
                        lua.set("handle", channel);
                        lua.run("return require('ljasync.sync').wrap(handle):receive()");
                        errors.add("a receive returned");
                    } catch (LuaException e) {
                        errors.add(e.luaMessage());
                    }
                }));
            }
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    channel.send("a", Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(sender);
            for (Thread thread : threads) {
                if (!thread.join(Duration.ofSeconds(5))) {
                    throw new AssertionError("deadlock: " + thread + " still waits after 5 s");
                }
            }
            // The sender may come first: then one receiver gets "a" and the other is refused.
            long refused = errors.stream().filter(m -> m.contains("virtual thread")
                    && m.contains("pinned to its carrier")).count();
            if (refused + errors.stream().filter("a receive returned"::equals).count() != 2 || refused < 1) {
                throw new AssertionError("unexpected outcomes: " + errors);
            }
            System.out.println("no deadlock: " + errors.peek());
        }
    }

    /** Two receivers in Lua with a timeout and a sender, all virtual, on one carrier: the carrier waits that long. */
    static void timedReceivers() throws Exception {
        // the library's first state in this JVM loads its classes and code: not part of the waits the bound is for
        try (LuaState warm = LuaState.open()) {
            warm.run("require('ljasync.sync')");
        }
        try (Channel channel = new Channel()) {
            ConcurrentLinkedQueue<Object> received = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try (LuaState lua = LuaState.open()) {
                        lua.set("handle", channel);
                        Object[] r = lua.run("return require('ljasync.sync').wrap(handle):receive(0.3)");
                        received.add(r.length > 1 ? r[1] : r[0]);
                    }
                }));
            }
            long start = System.nanoTime();
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    channel.send("a", Duration.ofSeconds(5));
                    channel.send("b", Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
            for (Thread thread : threads) {
                if (!thread.join(Duration.ofSeconds(5))) {
                    throw new AssertionError("deadlock: " + thread + " still waits after 5 s");
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (received.size() != 2 || millis > 3000) {
                throw new AssertionError("received " + received + " in " + millis + " ms");
            }
            System.out.println("no deadlock: " + received + " in " + millis + " ms");
        }
    }
}
