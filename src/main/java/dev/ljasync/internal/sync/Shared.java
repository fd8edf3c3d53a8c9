package dev.ljasync.internal.sync;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An object that Java and every {@code lua_State} of the library share by handle: a channel, a mutex, a semaphore or
 * a shared table. Thread-safe.
 *
 * <p>The handle is a positive integer below 2^53 (exact as a Lua number), never reused, so a stale handle finds
 * nothing rather than another object. The registry holds each object while it has references: one per Java object
 * that wraps it ({@link #releaseWhenUnreachable}), one per Lua wrapper (released by the wrapper's {@code __gc},
 * which also runs when its state is closed). A handle by itself is a name and holds nothing. When the last reference
 * goes, the object leaves the registry and {@link #dropped()} runs: a channel discards what it still holds.
 */
public abstract sealed class Shared permits SharedChannel, SharedMutex, SharedSemaphore, SharedKeeper,
        SharedMap {

    /** What a handle names; the codes are the ones ljasync.sync uses. */
    public enum Kind {
        CHANNEL(1, "channel"), MUTEX(2, "mutex"), SEMAPHORE(3, "semaphore"), KEEPER(8, "keeper"),
        TABLE(20, "shared table");

        /** The kind's number in ljasync.sync. */
        public final int code;
        private final String noun;

        Kind(int code, String noun) {
            this.code = code;
            this.noun = noun;
        }

        @Override
        public String toString() {
            return noun;
        }
    }

    // ---- statuses, shared with ljasync.sync (which returns them negated from the entry point) --------------------

    public static final int OK = 0, TIMEOUT = 1, CLOSED = 2, INTERRUPTED = 3, NO_OBJECT = 4, NOT_OWNER = 5,
            TOO_SMALL = 6, FAILED = 7, PINNED = 8, NUMBER = 9;

    /** A wait that never times out, in nanoseconds. */
    public static final long FOREVER = Long.MAX_VALUE;

    private static final ConcurrentHashMap<Long, Shared> REGISTRY = new ConcurrentHashMap<>();
    private static final AtomicLong HANDLES = new AtomicLong();
    private static final long HANDLE_LIMIT = 1L << 53;
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("ljasync-sync-cleaner")
            .factory());

    private final long handle;
    private final AtomicInteger references = new AtomicInteger(1);

    Shared() {
        this.handle = newHandle();
    }

    /**
     * A handle no other object of the library has had: the objects here and the executors that Lua code reaches
     * ({@code sync.wrap}) share one count, so that a handle names one of them only.
     */
    public static long newHandle() {
        long next = HANDLES.incrementAndGet();
        if (next >= HANDLE_LIMIT) {
            throw new IllegalStateException("the library has run out of handles (2^53 were made)");
        }
        return next;
    }

    /** Enters a new object in the registry, holding the one reference of its creator. */
    static <T extends Shared> T register(T object) {
        REGISTRY.put(object.handle(), object);
        return object;
    }

    /** The handle: a positive integer, exact as a Lua number. */
    public final long handle() {
        return handle;
    }

    /** What this object is. */
    public abstract Kind kind();

    /** The object a handle names while it is referenced, or null. Takes no reference. */
    public static Shared find(long handle) {
        return REGISTRY.get(handle);
    }

    /**
     * Takes one more reference to the object a handle names.
     *
     * @return the object, or null when no live object has this handle
     */
    public static Shared retain(long handle) {
        Shared object = REGISTRY.get(handle);
        return object != null && object.retain() ? object : null;
    }

    /**
     * Takes one more reference to the object of the given kind a handle names.
     *
     * @throws IllegalArgumentException when no live object of that kind has the handle
     */
    public static <T extends Shared> T retain(long handle, Class<T> type, Kind kind) {
        Shared object = REGISTRY.get(handle);
        if (object == null || !type.isInstance(object)) {
            throw new IllegalArgumentException("no " + kind + " has handle " + handle + (object == null
                    ? " (it was released once nothing referred to it any more, or never existed)"
                    : " (it is a " + object.kind() + ")"));
        }
        if (!object.retain()) {
            throw new IllegalArgumentException("the " + kind + " with handle " + handle + " was released once"
                    + " nothing referred to it any more");
        }
        return type.cast(object);
    }

    private boolean retain() {
        int count;
        do {
            count = references.get();
            if (count <= 0) {
                return false; // the last reference is gone: the object is leaving the registry
            }
        } while (!references.compareAndSet(count, count + 1));
        return true;
    }

    /** Gives back one reference; the last one takes the object out of the registry. Never throws. */
    public final void release() {
        int count;
        do {
            count = references.get();
            if (count <= 0) {
                return; // more releases than references: a wrapper forged in Lua; nothing left to give back
            }
        } while (!references.compareAndSet(count, count - 1));
        if (count == 1) {
            REGISTRY.remove(handle, this);
            dropped();
        }
    }

    /**
     * Makes {@code owner} hold one reference, the one this object was created or retained with: it is given back
     * once {@code owner} is unreachable.
     */
    public final void releaseWhenUnreachable(Object owner) {
        CLEANER.register(owner, this::release);
    }

    /** Runs once, when the last reference is gone. */
    void dropped() {}

    /** The references held now (for tests and toString). */
    public final int references() {
        return references.get();
    }

    /**
     * A Java timeout in nanoseconds for the wait methods: {@link #FOREVER} when it is too long to count.
     *
     * @throws IllegalArgumentException when negative
     * @throws NullPointerException     when null
     */
    public static long nanos(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a timeout cannot be negative: " + timeout);
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return FOREVER;
        }
    }

    /** A Lua timeout in seconds: negative (as ljasync.sync passes for none), infinite or huge means forever. */
    static long nanos(double seconds) {
        if (!(seconds >= 0) || seconds >= FOREVER / 1e9) {
            return FOREVER;
        }
        return (long) (seconds * 1e9);
    }

    @Override
    public String toString() {
        return kind() + " " + handle;
    }
}
