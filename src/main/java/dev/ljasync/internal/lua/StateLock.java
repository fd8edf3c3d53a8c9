package dev.ljasync.internal.lua;

import dev.ljasync.internal.sync.Ownership;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Who holds one {@code LuaState}, and its end: a reentrant lock whose owner's thread id is a word of native memory
 * (on a cache line of its own), the closed and closing flags, and the bounded close of an interruptible state, which
 * does not wait for ever for the thread that holds it.
 */
public final class StateLock {

    /** How long an interruptible state's close waits for the call in flight to end, and then for lua_close. */
    private static final long CLOSE_WAIT_NANOS = 500_000_000;

    // The owner's thread id in a word of native memory on a cache line of its own; holds counts the owner's nested
    // acquisitions (a Java function may call back in).
    private final MemorySegment lockWord;
    private final Ownership ownership = new Ownership();
    private int holds;
    private final StateLifetime lifetime;
    private final Interruption interruption; // null unless interruptible
    private volatile boolean closing; // an interruptible state's close has begun: no call may start
    private volatile boolean closed;

    /** A lock for the state that {@code lifetime} frees, its word allocated in {@code memory}. */
    public StateLock(Arena memory, StateLifetime lifetime, Interruption interruption) {
        this.lockWord = memory.allocate(64, 64);
        this.lifetime = lifetime;
        this.interruption = interruption;
    }

    /** Takes the lock, or takes it once more; waits while another thread holds it. */
    public void lock() {
        long me = Thread.currentThread().threadId();
        if (Ownership.heldBy(lockWord, me)) {
            holds++;
            return;
        }
        if (!Ownership.claim(lockWord, me)
                && !ownership.await(() -> Ownership.claim(lockWord, me) ? Boolean.TRUE : closing ? Boolean.FALSE : null)) {
            // an interruptible state's close began while this thread waited: its holder may never let go
            throw new IllegalStateException("this LuaState is closed");
        }
        holds = 1;
    }

    /** Lets go once; the outermost unlock releases the lock (and finishes a close that gave up waiting). */
    public void unlock() {
        if (--holds == 0) {
            ownership.release(lockWord);
            if (interruption != null) {
                finishCloseIfAsked();
            }
        }
    }

    /** Whether the calling thread holds the lock. */
    public boolean heldByCurrentThread() {
        return Ownership.heldBy(lockWord, Thread.currentThread().threadId());
    }

    /** Whether the state was closed. */
    public boolean closed() {
        return closed;
    }

    /** Whether an interruptible state's close has begun. */
    public boolean closing() {
        return closing;
    }

    /** Refuses a call on a closed state. */
    public void checkOpen() {
        if (closed || closing) {
            throw new IllegalStateException("this LuaState is closed");
        }
    }

    /** Refuses a call before it waits for the lock, which a call that never ends may hold after close. */
    public void checkClosing() {
        if (closing) {
            throw new IllegalStateException("this LuaState is closed");
        }
    }

    /** Closes the state now (lua_close, on this thread). Holding the lock. */
    public void close() {
        closed = true;
        lifetime.free();
    }

    /** The close of an interruptible state, on a thread that does not hold its lock: see {@code LuaState.close()}. */
    public void closeBounded() {
        if (closed) {
            return;
        }
        closing = true; // from now on no call starts (checkOpen), and waiting ones give up (lock)
        ownership.wakeAll();
        long me = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (!Ownership.claim(lockWord, me)) {
            interruption.raise(); // the call in flight, or one that began just as close did
            if (System.nanoTime() - deadline > 0) {
                return; // the holder closes the state as it lets go (finishCloseIfAsked)
            }
            LockSupport.parkNanos(200_000);
        }
        holds = 1;
        try {
            if (!closed) {
                finishClose();
            }
        } finally {
            unlock();
        }
    }

    /**
     * After the outermost unlock of an interruptible state: finishes a close that gave up waiting for this thread.
     * The fence orders the releasing store before the read of {@code closing}, as closeBounded's compare-and-set
     * orders its write of {@code closing} before its read of the lock word: one of the two threads closes.
     */
    private void finishCloseIfAsked() {
        VarHandle.fullFence();
        long me = Thread.currentThread().threadId();
        if (closing && !closed && Ownership.claim(lockWord, me)) {
            holds = 1;
            try {
                if (!closed) {
                    finishClose();
                }
            } finally {
                holds = 0;
                ownership.release(lockWord);
            }
        }
    }

    /** lua_close on a thread of its own, waited for a bounded time: a __gc finalizer may never end. Holding the lock. */
    private void finishClose() {
        closed = true;
        Interruption.runBounded(lifetime::free, CLOSE_WAIT_NANOS);
    }
}
