package dev.ljasync;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SharedMutex;

import java.time.Duration;

/**
 * A mutual-exclusion lock shared by Java and every {@code lua_State} of the library: thread-safe, owned by a thread,
 * reentrant (the owner may lock again, and unlocks as many times). Native threads count as threads: a callback
 * called from a {@code pthread} locks for that thread.
 *
 * <pre>{@code
 * Mutex mutex = new Mutex();
 * try (Callback add = CallbackType.of("void (*)(int64_t *)").create("""
 *         local sync = require("ljasync.sync")
 *         local mutex = sync.wrap(...)
 *         return function(counter)
 *           mutex:lock()
 *           counter[0] = counter[0] + 1
 *           mutex:unlock()
 *         end""", mutex)) {
 *     // native threads may call add.funcptr() at once; Java takes the same lock with mutex.lock()
 * }
 * }</pre>
 *
 * <h2>In Lua</h2>
 * {@code local sync = require("ljasync.sync")}; {@code sync.mutex()} makes one, and {@code sync.wrap(handle)} wraps
 * one passed as an argument (it arrives as its {@link #handle()}). Methods: {@code m:lock([timeout])} returns true,
 * or false after {@code timeout} seconds; {@code m:unlock()} raises an error when the thread does not hold it;
 * {@code m:is_locked()}, {@code m:is_held()}, {@code m:handle()}.
 *
 * <h2>Lifetime</h2>
 * A mutex lives while this object (or another {@code Mutex} for the same handle) is reachable or a Lua wrapper of it
 * exists in some state; Lua wrappers go with their state at the latest. A handle alone keeps nothing alive. A thread
 * that ends, or a state that closes, while holding the mutex does not unlock it.
 */
public final class Mutex {

    private final SharedMutex shared;

    /** A new, unlocked mutex. */
    public Mutex() {
        this(SharedMutex.create());
    }

    private Mutex(SharedMutex shared) {
        this.shared = shared;
        shared.releaseWhenUnreachable(this);
    }

    /**
     * The mutex a handle names, made by Java or by Lua ({@code m:handle()}); a new Java object for it.
     *
     * @param handle the mutex's {@link #handle()}
     * @return a new {@code Mutex} for that mutex, equal to every other one for it
     * @throws IllegalArgumentException when no live mutex has this handle
     */
    public static Mutex fromHandle(long handle) {
        return new Mutex(Shared.retain(handle, SharedMutex.class, Shared.Kind.MUTEX));
    }

    /**
     * The number that names this mutex in every state: pass it (or this object) to Lua and wrap it there.
     *
     * @return the handle, a positive integer exact as a Lua number
     */
    public long handle() {
        return shared.handle();
    }

    /** Locks, waiting as long as it takes; not interruptible, as {@link java.util.concurrent.locks.Lock#lock()}. */
    public void lock() {
        shared.lock();
    }

    /**
     * Locks, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait at most; zero only tries
     * @return true when locked, false after the timeout
     * @throws IllegalArgumentException when the timeout is negative
     * @throws InterruptedException     when the thread is interrupted while it waits
     */
    public boolean lock(Duration timeout) throws InterruptedException {
        return shared.lock(Shared.nanos(timeout));
    }

    /**
     * Unlocks once.
     *
     * @throws IllegalMonitorStateException when the calling thread does not hold the mutex (nothing changes)
     */
    public void unlock() {
        if (shared.unlock() != Shared.OK) {
            throw new IllegalMonitorStateException("thread " + Thread.currentThread().getName()
                    + " does not hold mutex " + handle() + ", so it cannot unlock it");
        }
    }

    /**
     * True while some thread holds the mutex.
     *
     * @return whether the mutex is locked now
     */
    public boolean isLocked() {
        return shared.isLocked();
    }

    /**
     * True while the calling thread holds the mutex.
     *
     * @return whether the calling thread holds the mutex
     */
    public boolean isHeldByCurrentThread() {
        return shared.isHeldByCurrentThread();
    }

    /** Equal when both name the same mutex. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Mutex other && other.shared == shared;
    }

    /** A hash of the handle, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Long.hashCode(handle());
    }

    /** The handle and the state, for logs. */
    @Override
    public String toString() {
        return "Mutex[" + handle() + (isLocked() ? ", locked]" : ", unlocked]");
    }
}
