package dev.ljasync.internal.sync;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Exclusive ownership of a state by one thread, for the per-call paths: the owner's thread id is kept in a word of
 * native memory (each on a cache line of its own, chosen by the caller), a claim is one compare-and-set and a release
 * a plain ordered store, so an uncontended call pays no fence on release. A thread that finds its words taken spins
 * briefly, then waits on this object's monitor. One instance serves all the words of one owner (a state, a pool).
 */
public final class Ownership {

    /** The value of a word nobody holds. */
    public static final long FREE = 0;
    private static final VarHandle WORD = JAVA_LONG.varHandle();
    /** How often a waiting thread retries before it sleeps: calls are short, a sleep costs microseconds. */
    private static final int SPINS = 200;

    private final Object monitor = new Object();
    private volatile int waiters;

    /** Takes {@code word} for {@code thread} if nobody holds it. */
    public static boolean claim(MemorySegment word, long thread) {
        return (long) WORD.getOpaque(word, 0L) == FREE && WORD.compareAndSet(word, 0L, FREE, thread);
    }

    /** Whether {@code thread} holds {@code word}. Exact for the calling thread's own id. */
    public static boolean heldBy(MemorySegment word, long thread) {
        return (long) WORD.getOpaque(word, 0L) == thread;
    }

    /** Sets a word that the caller holds to a value no thread id takes, so that it is never free again. */
    public static void retire(MemorySegment word, long value) {
        WORD.setVolatile(word, 0L, value);
    }

    /** Releases a word that the caller holds, and wakes a waiting thread if there is one. */
    public void release(MemorySegment word) {
        WORD.setRelease(word, 0L, FREE);
        signal();
    }

    /**
     * Wakes a waiting thread if there is one: for waits whose attempt looks at something other than a word (a
     * queue's free cells). As after a release, a waiter that this misses tries again within a millisecond.
     */
    public void signal() {
        if (waiters > 0) {
            synchronized (monitor) {
                monitor.notify();
            }
        }
    }

    /**
     * Calls {@code attempt} until it returns a value (not null): first spinning, then waiting between attempts for a
     * release. Never throws InterruptedException: an interrupt is kept and the flag restored on return.
     */
    public <T> T await(Supplier<T> attempt) {
        for (int spin = 0; spin < SPINS; spin++) {
            Thread.onSpinWait();
            T done = attempt.get();
            if (done != null) {
                return done;
            }
        }
        boolean interrupted = false;
        try {
            while (true) {
                synchronized (monitor) {
                    waiters++;
                    try {
                        T done = attempt.get();
                        if (done != null) {
                            return done;
                        }
                        // Bounded: without a fence after the releasing store, a release racing with this wait may
                        // read the old waiter count and not notify; the next attempt comes within a millisecond.
                        monitor.wait(1);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } finally {
                        waiters--;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Wakes every waiting thread, to look again (for example at a closed flag). */
    public void wakeAll() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }
}
