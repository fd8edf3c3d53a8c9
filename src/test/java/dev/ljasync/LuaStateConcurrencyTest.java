package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** One LuaState used by several platform threads at once: calls are serialized and nothing is lost. */
class LuaStateConcurrencyTest {

    private static final int THREADS = 4;
    private static final int CALLS = 25_000;

    private static void runThreads(Runnable body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    body.run();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            assertTrue(thread.join(Duration.ofSeconds(60)), "thread finished");
        }
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
    }

    @Test
    @Timeout(120)
    void shouldSerializeCallsFromManyThreads() throws InterruptedException {
        try (LuaState lua = LuaState.open()) {
            lua.run("counter = 0 function add(n) local c = counter counter = c + n return counter end");
            runThreads(() -> {
                for (int i = 0; i < CALLS; i++) {
                    lua.call("add", 1);
                }
            });
            assertEquals((long) THREADS * CALLS, lua.get("counter"));
        }
    }

    @Test
    @Timeout(120)
    void shouldSerializeMixedCallsThatReenterJava() throws InterruptedException {
        AtomicLong javaCalls = new AtomicLong();
        try (LuaState lua = LuaState.open()) {
            lua.register("tick", args -> javaCalls.incrementAndGet());
            lua.run("total = 0 function work(s) tick() total = total + #s return total end");
            runThreads(() -> {
                for (int i = 0; i < CALLS / 5; i++) {
                    lua.call("work", "abc");
                    lua.set("scratch" + (i % 7), i);
                    assertNotNull(lua.get("total"));
                }
            });
            assertEquals((long) THREADS * (CALLS / 5), javaCalls.get());
            assertEquals(3L * THREADS * (CALLS / 5), lua.get("total"));
        }
    }

    @Test
    @Timeout(60)
    void shouldWaitForACallInFlightBeforeClosing() throws Exception {
        LuaState lua = LuaState.open();
        CountDownLatch inside = new CountDownLatch(1);
        lua.register("entered", args -> {
            inside.countDown();
            return null;
        });
        Thread worker = Thread.ofPlatform().start(() ->
                lua.run("entered() local s = 0 for i = 1, 3e7 do s = s + i end result = s"));
        inside.await();
        lua.close(); // blocks until the worker's call has returned
        assertTrue(worker.join(Duration.ofSeconds(30)));
        assertTrue(lua.isClosed());
        assertThrows(IllegalStateException.class, () -> lua.get("result"));
    }
}
