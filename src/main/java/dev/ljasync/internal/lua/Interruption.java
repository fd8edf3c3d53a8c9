package dev.ljasync.internal.lua;

import dev.ljasync.internal.sync.Shared;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The one way a running Lua call is stopped from another thread: for an interruptible {@code LuaState} (its
 * {@code interrupt()}, its time limit, its {@code close()}) and for a cancellable {@code LuaThread}. Thread-safe.
 *
 * <p>The state runs without the JIT compiler, under the count hook of interrupt.lua, which raises an error once the
 * flag (an int32 in native memory, read by a C function the hook calls) is set; {@link #raise()} sets it, and
 * interrupts the Java thread running the call, which ends a wait in ljasync.sync. Nothing is lost to timing: the
 * flag is checked by the hook, when a call starts ({@link #enter}) and by ljasync.sync before every wait
 * ({@link #raisedHere()}); an interrupt delivered during a wait ends it, since a Java wait checks for one before it
 * blocks.
 *
 * <p>A <em>sticky</em> interruption (a thread's cancel) stays raised once raised, whenever it came. A state's is for
 * the call running when it comes: {@link #raise()} does nothing while no call runs, and each outermost call starts
 * with it lowered.
 */
public final class Interruption {

    /** Instructions between two looks at the flag: well under a millisecond of interpreted Lua. */
    static final int HOOK_COUNT = 10_000;

    private static final ThreadLocal<Interruption> CURRENT = new ThreadLocal<>();
    // The C function the hook calls: true once the flag (its upvalue, a light userdata) is set. Made with the first
    // interruptible state (a stub costs milliseconds), not when ljasync.sync first looks at raisedHere().
    private static final class Raised {
        static final MemorySegment FUNCTION = cfunction(Interruption::raised, Arena.global());
    }
    // Ends calls past their time limit; one daemon thread for the JVM. A call that ends in time takes its task out.
    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();
    // Runs work that may never end (a lua_close whose __gc finalizer loops): idle threads are reused, and a thread
    // stuck for good is replaced by a new one.
    private static final ExecutorService CLOSERS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("ljasync-close-", 1).factory());

    private final boolean sticky;
    private final String message;
    private final MemorySegment flag = Arena.ofAuto().allocate(JAVA_INT);
    // guarded by this
    private Thread runner;
    private Interruption outer;
    private boolean delivered;
    private long calls;
    private ScheduledFuture<?> deadline;

    /**
     * @param sticky  whether a raise stays (a thread's cancel) or is for the running call only (a state's interrupt)
     * @param message the error the hook raises
     */
    public Interruption(boolean sticky, String message) {
        this.sticky = sticky;
        this.message = message;
    }

    /**
     * Makes a new state interruptible, before any user code runs in it: turns the JIT compiler off and runs
     * interrupt.lua with the debug library's table, which the caller pushed (the state may have hidden it since).
     *
     * @return the status of running the chunk, with the error on the stack when it is not LUA_OK; the debug table
     *         is popped either way
     */
    public int install(MemorySegment L) {
        luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE_OFF);
        int status = LibraryChunks.INTERRUPT.load(L);
        if (status != LUA_OK) {
            lua_remove(L, -2);
            return status;
        }
        lua_insert(L, -2); // chunk, debug
        pushGuard(L);
        return lua_pcall(L, 3, 0, 0);
    }

    /**
     * Pushes what Lua code needs to tell an interruption from other errors: a C function that returns true while the
     * interruption is raised, and the error it raises.
     */
    public void pushGuard(MemorySegment L) {
        lua_pushlightuserdata(L, flag);
        lua_pushcclosure(L, Raised.FUNCTION, 1);
        try (Arena scratch = Arena.ofConfined()) {
            byte[] text = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            lua_pushlstring(L, scratch.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, text), text.length);
        }
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("ljasync-time-limit").factory());
        watchdog.setRemoveOnCancelPolicy(true);
        return watchdog;
    }

    /**
     * Runs {@code work} on a daemon thread of the library's and waits up to {@code nanos} for it to end; work that
     * takes longer goes on running there. An interrupt of the waiting thread ends the wait and is kept.
     *
     * @return whether the work ended in time
     * @throws RuntimeException what the work threw, when it ended in time
     */
    public static boolean runBounded(Runnable work, long nanos) {
        Future<?> done = CLOSERS.submit(work);
        try {
            done.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** A time limit in nanoseconds for {@link #enter}: 0 for none (zero, or too long to count). */
    public static long nanos(java.time.Duration limit) {
        long nanos = Shared.nanos(limit);
        return nanos == Shared.FOREVER ? 0 : nanos;
    }

    /** Whether the flag is set. */
    public boolean isRaised() {
        return (int) JAVA_INT.varHandle().getVolatile(flag, 0L) != 0;
    }

    /**
     * Stops the call running now: sets the flag and interrupts its thread (once). A state's interruption does
     * nothing while no call runs; a sticky one is raised for good, and its call stops as soon as it starts.
     */
    public synchronized void raise() {
        if (runner == null && !sticky) {
            return;
        }
        JAVA_INT.varHandle().setVolatile(flag, 0L, 1);
        deliver();
    }

    private void deliver() {
        if (runner != null && !delivered) {
            delivered = true;
            runner.interrupt(); // ends a wait in ljasync.sync (a channel, a mutex, a semaphore) with an error
        }
    }

    /**
     * The calling thread starts a call (the outermost one into the state): it is the one {@link #raise()} interrupts
     * until {@link #leave()}; a state's flag is lowered first.
     *
     * @param timeLimitNanos the call is interrupted after that long; 0 for no limit
     * @return whether the call should run: false when a sticky interruption is raised already
     */
    public synchronized boolean enter(long timeLimitNanos) {
        runner = Thread.currentThread();
        outer = CURRENT.get();
        CURRENT.set(this);
        if (!sticky) {
            JAVA_INT.varHandle().setVolatile(flag, 0L, 0);
        } else if (isRaised()) {
            deliver();
            return false;
        }
        long call = ++calls;
        if (timeLimitNanos > 0) {
            deadline = WATCHDOG.schedule(() -> expire(call), timeLimitNanos, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    private synchronized void expire(long call) {
        if (calls == call && runner != null) {
            raise();
        }
    }

    /**
     * The call that {@link #enter} started has ended. The thread's interrupt, when this object delivered one, is
     * taken back (with it, an interrupt that came from elsewhere at the same moment); the flag stays as it is, for
     * the error of the call to tell that it was interrupted.
     */
    public synchronized void leave() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (delivered && Thread.currentThread() == runner) {
            Thread.interrupted();
        }
        delivered = false;
        runner = null;
        if (outer != null) {
            CURRENT.set(outer);
        } else {
            CURRENT.remove();
        }
        outer = null;
    }

    /** True when the calling thread runs a call whose interruption is raised: a wait must not begin. */
    public static boolean raisedHere() {
        Interruption current = CURRENT.get();
        return current != null && current.isRaised();
    }

    // The lua_CFunction body: an upcall, so it never throws; reads the flag its upvalue points to.
    private static int raised(MemorySegment L) {
        try {
            MemorySegment flag = lua_touserdata(L, lua_upvalueindex(1)).reinterpret(JAVA_INT.byteSize());
            lua_pushboolean(L, (int) JAVA_INT.varHandle().getVolatile(flag, 0L) != 0);
            return 1;
        } catch (Throwable t) {
            return 0; // never happens; nil reads as not raised, and the next look tries again
        }
    }

    @Override
    public String toString() {
        return "Interruption[" + (isRaised() ? "raised" : "lowered") + (sticky ? ", sticky" : "") + "]";
    }
}
