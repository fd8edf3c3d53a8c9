package dev.ljasync;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SharedSemaphore;

import java.time.Duration;

/**
 * A counting semaphore shared by Java and every {@code lua_State} of the library: a number of permits that threads
 * take and give back, waiting while there are none. Thread-safe; not fair; permits are not owned (any thread may
 * release). Use it to bound how many threads use something at once, or as a signal ({@code new Semaphore(0)}:
 * one thread releases, another acquires).
 *
 * <h2>In Lua</h2>
 * {@code local sync = require("ljasync.sync")}; {@code sync.semaphore([permits])} makes one (0 permits by default),
 * and {@code sync.wrap(handle)} wraps one passed as an argument (it arrives as its {@link #handle()}). Methods:
 * {@code s:acquire([timeout])} returns true, or false after {@code timeout} seconds; {@code s:release([count])},
 * {@code s:available()}, {@code s:handle()}.
 *
 * <h2>Lifetime</h2>
 * As for {@link Mutex}: while this object, another one for the same handle, or a Lua wrapper of it exists.
 */
public final class Semaphore {

    private final SharedSemaphore shared;

    /**
     * A new semaphore with {@code permits} free permits.
     *
     * @param permits the permits free at first, 0 or more
     * @throws IllegalArgumentException when {@code permits} is negative
     */
    public Semaphore(int permits) {
        this(SharedSemaphore.create(permits));
    }

    private Semaphore(SharedSemaphore shared) {
        this.shared = shared;
        shared.releaseWhenUnreachable(this);
    }

    /**
     * The semaphore a handle names, made by Java or by Lua ({@code s:handle()}); a new Java object for it.
     *
     * @param handle the semaphore's {@link #handle()}
     * @return a new {@code Semaphore} for that semaphore, equal to every other one for it
     * @throws IllegalArgumentException when no live semaphore has this handle
     */
    public static Semaphore fromHandle(long handle) {
        return new Semaphore(Shared.retain(handle, SharedSemaphore.class, Shared.Kind.SEMAPHORE));
    }

    /**
     * The number that names this semaphore in every state: pass it (or this object) to Lua and wrap it there.
     *
     * @return the handle, a positive integer exact as a Lua number
     */
    public long handle() {
        return shared.handle();
    }

    /**
     * Takes a permit, waiting as long as it takes for one.
     *
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    public void acquire() throws InterruptedException {
        shared.acquire();
    }

    /**
     * Takes a permit, waiting at most {@code timeout} for one.
     *
     * @param timeout how long to wait at most; zero only tries
     * @return true when taken, false after the timeout
     * @throws IllegalArgumentException when the timeout is negative
     * @throws InterruptedException     when the thread is interrupted while it waits
     */
    public boolean acquire(Duration timeout) throws InterruptedException {
        return shared.acquire(Shared.nanos(timeout));
    }

    /** Gives back one permit, waking a waiting thread if there is one. */
    public void release() {
        shared.release(1);
    }

    /**
     * Gives back {@code count} permits.
     *
     * @param count how many permits to give back
     * @throws IllegalArgumentException when {@code count} is not positive, or the free permits would pass 2^31 - 1
     */
    public void release(int count) {
        shared.release(count);
    }

    /**
     * The permits free now.
     *
     * @return the number of free permits
     */
    public int available() {
        return shared.available();
    }

    /** Equal when both name the same semaphore. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Semaphore other && other.shared == shared;
    }

    /** A hash of the handle, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Long.hashCode(handle());
    }

    /** The handle and the state, for logs. */
    @Override
    public String toString() {
        return "Semaphore[" + handle() + ", " + available() + " free]";
    }
}
