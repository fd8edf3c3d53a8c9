package dev.ljasync.internal.sync;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** The permits behind a semaphore: a {@link Semaphore}, not fair. Thread-safe. */
public final class SharedSemaphore extends Shared {

    private final Semaphore permits;

    private SharedSemaphore(int permits) {
        this.permits = new Semaphore(permits);
    }

    /**
     * A new semaphore in the registry, with its creator's reference.
     *
     * @throws IllegalArgumentException when {@code permits} is negative
     */
    public static SharedSemaphore create(int permits) {
        if (permits < 0) {
            throw new IllegalArgumentException("a semaphore starts with 0 or more permits, not " + permits);
        }
        return register(new SharedSemaphore(permits));
    }

    @Override
    public Kind kind() {
        return Kind.SEMAPHORE;
    }

    /** Takes a permit, waiting as long as it takes. */
    public void acquire() throws InterruptedException {
        permits.acquire();
    }

    /**
     * Takes a permit, waiting up to {@code nanos} ({@link #FOREVER}: as long as it takes).
     *
     * @return false after the timeout
     */
    public boolean acquire(long nanos) throws InterruptedException {
        if (nanos == FOREVER) {
            permits.acquire();
            return true;
        }
        return permits.tryAcquire(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Adds permits.
     *
     * @throws IllegalArgumentException when {@code count} is not positive, or the permits would pass 2^31 - 1
     */
    public void release(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a semaphore releases 1 or more permits, not " + count);
        }
        try {
            permits.release(count);
        } catch (Error e) {
            // java.util.concurrent.Semaphore signals an overflow with a plain Error
            if (!"Maximum permit count exceeded".equals(e.getMessage())) {
                throw e;
            }
            throw new IllegalArgumentException("releasing " + count + " permits would make more than "
                    + Integer.MAX_VALUE + " free");
        }
    }

    /** The permits free now. */
    public int available() {
        return permits.availablePermits();
    }
}
