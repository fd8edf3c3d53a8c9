package dev.ljasync.internal.sync;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class ThreadCacheTest {

    /** Four tasks at once get four threads; two of them stay idle, serve the next tasks, and exit after idling. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void shouldKeepAtMostItsIdleThreadsAndLetThemExit(boolean nativeThreads) throws Exception {
        ThreadCache cache = new ThreadCache(nativeThreads, 2, Duration.ofMillis(500));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(4);
        ConcurrentLinkedQueue<Thread> ran = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 4; i++) {
            cache.run("task-" + i, () -> {
                ran.add(Thread.currentThread());
                awaitQuietly(release);
            }, ended::countDown);
        }
        release.countDown();
        assertTrue(ended.await(30, TimeUnit.SECONDS));
        assertEquals(4, ran.stream().distinct().count(), "a task that finds no idle thread gets a new one");
        assertEquals(2, cache.idleCount());
        assertEquals(2, cache.threadCount());
        for (Thread thread : ran) {
            assertTrue(thread.isDaemon(), thread + " is a daemon");
        }

        List<Thread> second = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            CountDownLatch done = new CountDownLatch(1);
            cache.run("again-" + i, () -> second.add(Thread.currentThread()), done::countDown);
            assertTrue(done.await(30, TimeUnit.SECONDS));
        }
        assertEquals(1, second.stream().distinct().count(), "one task after another runs on the same idle thread");
        assertTrue(ran.contains(second.getFirst()), "an idle thread served it");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cache.idleCount() > 0 || cache.threadCount() > 0 || ran.stream().anyMatch(Thread::isAlive)) {
            assertTrue(System.nanoTime() < deadline, "idle threads exit after idling");
            Thread.sleep(20);
        }
    }

    /** A task's interrupt and context class loader stay with the task, and the next one gets its own name. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void shouldNotPassOneTasksThreadStateToTheNext(boolean nativeThreads) throws Exception {
        ThreadCache cache = new ThreadCache(nativeThreads, 1, Duration.ofSeconds(30));
        ClassLoader mine = new ClassLoader(null) {};
        ClassLoader own = Thread.currentThread().getContextClassLoader();
        List<Object> seen = new ArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        Thread.currentThread().setContextClassLoader(mine);
        try {
            cache.run("first", () -> {
                seen.add(Thread.currentThread());
                seen.add(Thread.currentThread().getName());
                seen.add(Thread.currentThread().getContextClassLoader() == mine);
                Thread.currentThread().interrupt();
                Thread.currentThread().setName("renamed by the task");
            }, first::countDown);
        } finally {
            Thread.currentThread().setContextClassLoader(own);
        }
        assertTrue(first.await(30, TimeUnit.SECONDS));
        Thread thread = (Thread) seen.getFirst();
        assertEquals("renamed by the task", thread.getName(), "kept until the next task, for flight recordings");
        CountDownLatch second = new CountDownLatch(1);
        cache.run("second", () -> {
            seen.add(Thread.currentThread());
            seen.add(Thread.currentThread().getName());
            seen.add(Thread.currentThread().isInterrupted());
            seen.add(Thread.currentThread().getContextClassLoader() == own);
        }, second::countDown);
        assertTrue(second.await(30, TimeUnit.SECONDS));
        assertEquals(List.of(thread, "first", true, thread, "second", false, true), seen);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
