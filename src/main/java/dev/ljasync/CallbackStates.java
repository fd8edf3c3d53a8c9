package dev.ljasync;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The states of one {@link Callback} and the per-call path: the upcall stub's method handle is bound to this object
 * (see {@link CallbackType.Frame#upcall}). A call claims a free state with one compare-and-set, runs it, and releases
 * it; nothing on that path allocates.
 */
final class CallbackStates {

    private static final VarHandle OWNER;
    /** The owner of every slot of a closed callback: never started, it stands for no thread (see close). */
    private static final Thread CLOSED = Thread.ofPlatform().unstarted(() -> {});
    /** How often a caller retries a busy state before it sleeps: calls are short, a sleep costs microseconds. */
    private static final int SPINS = 200;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(Slot.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One state and its frame; owned by at most one calling thread at a time. */
    static final class Slot {
        private final LuaState state;
        private final MemorySegment frame;
        @SuppressWarnings("unused") // through OWNER
        private volatile Thread owner;

        private Slot(LuaState state, MemorySegment frame) {
            this.state = state;
            this.frame = frame;
        }

        MemorySegment frame() {
            return frame;
        }
    }

    private final CallbackType.Frame layout;
    private final String name;
    private final Slot[] slots;
    // What a refused call writes its arguments into; never read.
    private final Slot refusal;
    private final long fallback;
    private volatile Consumer<? super LuaException> onError;
    private final AtomicLong errors = new AtomicLong();
    private volatile LuaException lastError;
    private final Object monitor = new Object();
    private volatile int waiters;
    private volatile boolean closed;
    private volatile boolean freed;
    // The Callback, held while open so that it (and the stub it shares with this object) is never collected then.
    private Object owner;

    /**
     * Opens {@code count} states, each running the chunk. Frames come from an automatic arena: nothing has to free
     * them on close, and they live as long as this object, which the upcall stub holds.
     */
    CallbackStates(CallbackType type, int count, String name, long fallback, Consumer<? super LuaException> onError,
                   byte[] chunk, String mode, Object[] initArgs, byte[] adapter, Object[] adapterArgs, Object owner) {
        this.owner = owner;
        this.layout = type.frame();
        this.name = name;
        this.fallback = fallback;
        this.onError = onError;
        Arena frames = Arena.ofAuto();
        slots = new Slot[count];
        refusal = new Slot(null, frames.allocate(layout.size(), layout.alignment()));
        try {
            for (int i = 0; i < count; i++) {
                MemorySegment frame = frames.allocate(layout.size(), layout.alignment());
                slots[i] = new Slot(LuaState.open(), frame);
                slots[i].state.pinEntry(chunk, name, mode, initArgs, layout.setupArgs(frame), adapter, adapterArgs);
            }
        } catch (RuntimeException | Error e) {
            for (Slot slot : slots) {
                if (slot != null) {
                    slot.state.close();
                }
            }
            throw e;
        }
    }

    int count() {
        return slots.length;
    }

    long errorCount() {
        return errors.get();
    }

    LuaException lastError() {
        return lastError;
    }

    boolean isClosed() {
        return closed;
    }

    // ---- the per-call path -----------------------------------------------------------------------------------------

    /** Claims a state for the calling thread, or returns {@link #refusal} after reporting why. Never throws. */
    Slot enter() {
        Thread me = Thread.currentThread();
        Slot slot = tryClaim(me);
        if (slot != null) {
            return slot;
        }
        try {
            return contended(me);
        } catch (Throwable t) {
            return refuse("it could not get a state: " + t);
        }
    }

    /** Runs the claimed state's entry and releases it; returns the result's bits, or the fallback's. Never throws. */
    long run(Slot slot) {
        if (slot == refusal) {
            return fallback;
        }
        try {
            int status = slot.state.callEntry();
            if (status == 0) {
                return layout.readResult(slot.frame);
            }
            report(slot.state.entryFailure(status));
            return fallback;
        } catch (Throwable t) {
            report(new LuaException(LuaException.Kind.JAVA, "callback " + name + " failed in Java: " + t, "", t));
            return fallback;
        } finally {
            release(slot);
        }
    }

    private Slot tryClaim(Thread me) {
        if (closed) {
            return null;
        }
        for (Slot slot : slots) {
            if (slot.owner == null && OWNER.compareAndSet(slot, null, me)) {
                if (!closed) {
                    return slot;
                }
                release(slot); // close began after the check above: this call must not run
                return null;
            }
        }
        return null;
    }

    private Slot contended(Thread me) {
        if (holds(me)) {
            return refuse("it was called again on a thread that is already inside it (" + me.getName()
                    + "), and no other state of the callback was free; LuaJIT cannot enter a state from C code"
                    + " called through its FFI");
        }
        for (int spin = 0; spin < SPINS; spin++) {
            Thread.onSpinWait();
            Slot slot = tryClaim(me);
            if (slot != null) {
                return slot;
            }
            if (closed) {
                return refuse("the callback is closed");
            }
        }
        boolean interrupted = false;
        try {
            while (true) {
                synchronized (monitor) {
                    waiters++;
                    try {
                        Slot slot = tryClaim(me);
                        if (slot != null) {
                            return slot;
                        }
                        if (closed) {
                            return refuse("the callback is closed");
                        }
                        // Bounded: a release racing with this wait may miss the waiter count and not notify.
                        monitor.wait(1);
                    } catch (InterruptedException e) {
                        interrupted = true; // the native caller cannot be told; keep waiting, restore the flag
                    } finally {
                        waiters--;
                    }
                }
            }
        } finally {
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    private void release(Slot slot) {
        OWNER.setRelease(slot, null);
        if (waiters > 0) {
            synchronized (monitor) {
                monitor.notify();
            }
        }
    }

    boolean holds(Thread me) {
        for (Slot slot : slots) {
            if (slot.owner == me) {
                return true;
            }
        }
        return false;
    }

    private Slot refuse(String why) {
        report(new LuaException(LuaException.Kind.REFUSED, "a call to callback " + name + " was refused: " + why,
                "", null));
        return refusal;
    }

    private void report(LuaException error) {
        try {
            errors.incrementAndGet();
            lastError = error;
            onError.accept(error);
        } catch (Throwable ignored) {
            // an error handler that throws must not take the native caller down with it
        }
    }

    // ---- close -----------------------------------------------------------------------------------------------------

    /** Refuses new calls, waits for the running ones, closes the states. Idempotent; see {@link Callback#close()}. */
    void close() {
        if (freed) {
            return;
        }
        Thread me = Thread.currentThread();
        if (holds(me)) {
            throw new IllegalStateException("a callback cannot be closed from inside one of its own calls;"
                    + " close it after the call returns");
        }
        synchronized (this) {
            if (freed) {
                return;
            }
            closed = true;
            synchronized (monitor) {
                monitor.notifyAll(); // waiting callers see `closed` and give up
            }
            for (Slot slot : slots) {
                claim(slot, me); // and never release: no call may start once close has begun
            }
            for (Slot slot : slots) {
                slot.state.close();
                // not the closing thread: it would keep that thread (and whatever it references) alive as long
                // as the stub, which holds this object
                OWNER.setVolatile(slot, CLOSED);
            }
            freed = true;
            // The stub, a GC root until its Callback is collected, holds this object: let go of everything that
            // might lead back to the Callback (an error handler capturing it would keep it, and the stub, forever).
            owner = null;
            onError = error -> {};
        }
    }

    /** Claims one given slot, waiting as long as it takes. */
    private void claim(Slot slot, Thread me) {
        boolean interrupted = false;
        while (!OWNER.compareAndSet(slot, null, me)) {
            synchronized (monitor) {
                waiters++;
                try {
                    if (OWNER.compareAndSet(slot, null, me)) {
                        break;
                    }
                    monitor.wait(1);
                } catch (InterruptedException e) {
                    interrupted = true;
                } finally {
                    waiters--;
                }
            }
        }
        if (interrupted) {
            me.interrupt();
        }
    }
}
