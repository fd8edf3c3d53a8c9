package dev.ljasync.internal.sync;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Threads that run one task at a time and, once a task has ended, wait a while for the next one before they exit:
 * starting a thread costs more than the rest of a short LuaThread (a platform thread's start and join take 150 to
 * 200 us, a pthread's about 50 us). Never a queue: a task that finds no idle thread gets a new one at once. The
 * threads are daemons (an attached pthread is one too), at most {@code maxIdle} of them wait at a time, and each
 * exits after waiting {@code idle} for a task. Between two tasks a thread takes back its interrupt and context class
 * loader, so that nothing of one task's thread state reaches the next (a task's thread locals are the task's to
 * remove); it keeps the last task's name until the next one.
 *
 * <p>A thread that has waited 50 ms for a task, and one that exits after idling, gives glibc's free memory back to
 * the system ({@code malloc_trim}):
 * the native memory of a LuaThread's callback is freed by a cleaner after a collection, and while LuaThreads come
 * and go quickly on the same threads the malloc arenas that held it keep its pages (measured: 50 to 65 MB resident
 * after 10,000 LuaThreads, all of it free inside arenas, and gone after the trim). Thread-safe.
 */
public final class ThreadCache {

    /** Java platform threads of LuaThreads. */
    public static final ThreadCache PLATFORM = new ThreadCache(false, 16, Duration.ofSeconds(5));
    /** Native threads (pthread_create, see {@link NativeThreads}) of LuaThreads. */
    public static final ThreadCache NATIVE = new ThreadCache(true, 16, Duration.ofSeconds(5));

    // how long a thread waits for a task before it trims malloc's arenas: a burst of LuaThreads is over by then
    private static final long TRIM_NANOS = Duration.ofMillis(50).toNanos();

    private final boolean nativeThreads;
    private final int maxIdle;
    private final long idleNanos;
    private final AtomicInteger threads = new AtomicInteger();
    // guarded by itself; the most recently idle last, so that the threads that stay idle longest are those that exit
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();

    /**
     * @param nativeThreads whether the threads are made by pthread_create rather than by the JVM
     * @param maxIdle       how many threads may wait for a task at once; a thread that would be one more exits
     * @param idle          how long a thread waits for its next task before it exits
     */
    public ThreadCache(boolean nativeThreads, int maxIdle, Duration idle) {
        this.nativeThreads = nativeThreads;
        this.maxIdle = maxIdle;
        this.idleNanos = idle.toNanos();
    }

    /**
     * Runs {@code task} on an idle thread, or on a new one, named {@code name} while it runs and with the calling
     * thread's context class loader, as a new thread would inherit it; then {@code ended} runs once the thread is
     * ready for the next task, so that a task started right after it finds the thread idle. Neither may throw.
     *
     * @throws IllegalStateException when a new native thread cannot be made (the task then never runs)
     */
    public void run(String name, Runnable task, Runnable ended) {
        run(name, task, ended, true);
    }

    /**
     * As {@link #run(String, Runnable, Runnable)}, on a new thread that exits after the task when {@code reuse} is
     * false: while a flight recording runs, since it names an event's thread by the first name it saw the thread
     * have, which a reused thread had from its earlier task.
     */
    public void run(String name, Runnable task, Runnable ended, boolean reuse) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Worker worker = null;
        if (reuse) {
            synchronized (idle) {
                worker = idle.pollLast();
                if (worker != null) {
                    worker.hand(name, loader, task, ended);
                }
            }
        }
        if (worker != null) {
            LockSupport.unpark(worker.thread);
            return;
        }
        Worker fresh = new Worker(!reuse);
        fresh.hand(name, loader, task, ended);
        threads.incrementAndGet();
        try {
            if (nativeThreads) {
                NativeThreads.start(fresh::loop);
            } else {
                Thread.ofPlatform().name(name).daemon().inheritInheritableThreadLocals(false).start(fresh::loop);
            }
        } catch (RuntimeException | Error e) {
            threads.decrementAndGet();
            throw e;
        }
    }

    /** How many threads this cache has now, running a task or idle. */
    public int threadCount() {
        return threads.get();
    }

    /** How many threads wait for a task now. */
    public int idleCount() {
        synchronized (idle) {
            return idle.size();
        }
    }

    private final class Worker {
        private final boolean once;
        private Thread thread;
        // written by a starter under the lock of idle while this worker is in it, read by the worker after that
        private Runnable task;
        private String name;
        private ClassLoader loader;
        private Runnable ended;

        Worker(boolean once) {
            this.once = once;
        }

        void hand(String name, ClassLoader loader, Runnable task, Runnable ended) {
            this.name = name;
            this.loader = loader;
            this.task = task;
            this.ended = ended;
        }

        void loop() {
            thread = Thread.currentThread();
            for (Runnable next = task; next != null; next = await()) {
                thread.setName(name);
                thread.setContextClassLoader(loader);
                Runnable then = ended;
                try {
                    next.run();
                } catch (Throwable ignored) {
                    // the task reports its own failures; this thread goes on serving the next one
                }
                Thread.interrupted(); // a cancel's interrupt is that task's, not the next one's
                thread.setContextClassLoader(null);
                boolean stays = !once && offer();
                if (!stays) {
                    threads.decrementAndGet(); // before ended: whoever waits for the task sees the count fall
                }
                try {
                    then.run();
                } catch (Throwable ignored) {
                    // as for the task
                }
                if (!stays) {
                    break;
                }
            }
        }

        /** Joins the idle threads, unless there are enough of them; returns whether this thread stays. */
        private boolean offer() {
            synchronized (idle) {
                hand(null, null, null, null);
                if (idle.size() >= maxIdle) {
                    return false;
                }
                idle.addLast(this);
                return true;
            }
        }

        /** The next task, once this thread is idle; null once it should exit. */
        private Runnable await() {
            long start = System.nanoTime();
            boolean trimmed = false;
            while (true) {
                synchronized (idle) {
                    if (task != null) {
                        return task;
                    }
                    if (System.nanoTime() - start >= idleNanos) {
                        idle.remove(this);
                        break;
                    }
                }
                long waited = System.nanoTime() - start;
                if (!trimmed && waited >= TRIM_NANOS) {
                    trimmed = true;
                    NativeThreads.trimMalloc();
                } else {
                    LockSupport.parkNanos(this, (trimmed ? idleNanos : Math.min(idleNanos, TRIM_NANOS)) - waited);
                }
            }
            threads.decrementAndGet();
            NativeThreads.trimMalloc(); // again: what the cleaner freed meanwhile
            return null;
        }
    }
}
