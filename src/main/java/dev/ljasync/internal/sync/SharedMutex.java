package dev.ljasync.internal.sync;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock behind a mutex: a {@link ReentrantLock}, owned by a thread (Java or native: a native thread is the same
 * Java thread on every upcall it makes). Thread-safe.
 */
public final class SharedMutex extends Shared {

    private final ReentrantLock lock = new ReentrantLock();

    private SharedMutex() {}

    /** A new mutex in the registry, with its creator's reference. */
    public static SharedMutex create() {
        return register(new SharedMutex());
    }

    @Override
    public Kind kind() {
        return Kind.MUTEX;
    }

    /** Locks, waiting as long as it takes; not interruptible. */
    public void lock() {
        lock.lock();
    }

    /**
     * Locks, waiting up to {@code nanos} ({@link #FOREVER}: as long as it takes).
     *
     * @return false after the timeout
     */
    public boolean lock(long nanos) throws InterruptedException {
        if (nanos == FOREVER) {
            lock.lockInterruptibly();
            return true;
        }
        return lock.tryLock(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Unlocks once.
     *
     * @return {@link #OK}, or {@link #NOT_OWNER} when the calling thread does not hold the mutex (nothing changes)
     */
    public int unlock() {
        if (!lock.isHeldByCurrentThread()) {
            return NOT_OWNER;
        }
        lock.unlock();
        return OK;
    }

    /** True while some thread holds it. */
    public boolean isLocked() {
        return lock.isLocked();
    }

    /** True while the calling thread holds it. */
    public boolean isHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }
}
