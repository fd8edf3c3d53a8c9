package dev.ljasync;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A Lua function behind a C function pointer that native code may call from any thread, several at once: the
 * JVM successor of lj-async's callbacks. Thread-safe. Made by a {@link CallbackType}; the pointer is
 * {@link #funcptr()}.
 *
 * <h2>States and threads</h2>
 * Each callback has its own {@code lua_State}s (one by default, or a pool of {@link Builder#states(int)}), each
 * running the same chunk, and a {@code Linker.upcallStub} whose address is the function pointer. A call claims a free
 * state for its whole duration, so a state only ever runs one call: with one state, calls from different threads
 * take turns; with a pool, up to that many run in parallel. A caller that finds every state busy waits.
 *
 * <p>A call that arrives on a thread which is already inside this callback (its Lua code called native code that
 * called the same pointer) never waits for itself and never enters the state it is already in: LuaJIT forbids
 * entering a state again from C code called through the FFI. It is served by another state of the pool that is free
 * at that moment; when there is none, it is refused: the native caller gets the fallback result and the error
 * handler a {@link LuaException.Kind#REFUSED} error.
 *
 * <h2>Errors</h2>
 * A Lua error in the callback never unwinds into native code, never reaches LuaJIT's panic handler and never ends
 * the process: the native caller gets the fallback result (the zero of the result type unless
 * {@link Builder#fallback(Object) chosen}), and the error, as a {@link LuaException} with the Lua traceback, goes to
 * the error handler (by default a warning on the {@code System.Logger} named {@code dev.ljasync.Callback}) and is
 * counted ({@link #errorCount()}, {@link #lastError()}). The next call runs normally.
 *
 * <h2>Lifetime</h2>
 * {@link #close()} waits for the calls that are running and for the callers it refuses meanwhile (they get the
 * fallback), then frees the states and the stub. What stays the caller's duty, as for any upcall stub: make sure
 * native code has stopped calling the pointer before close returns. A call that starts after that jumps to freed
 * code and crashes the process, and one still leaving the stub's last instructions at that moment could too; the
 * library cannot see either. An unclosed callback is never freed by the garbage collector (the stub holds on to
 * it), so its pointer stays valid until close.
 */
public final class Callback implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Callback.class.getName());
    private static final VarHandle OWNER;
    /** How often a caller retries a busy state before it sleeps: calls are short, a sleep costs microseconds. */
    private static final int SPINS = 200;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(Slot.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One state of the callback and its frame; owned by at most one calling thread at a time. */
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

    private final CallbackType type;
    private final CallbackType.Frame layout;
    private final String name;
    private final Arena arena = Arena.ofShared();
    private final Slot[] slots;
    // What a refused call writes its arguments into; never read, and alive as long as this object.
    private final Slot refusal;
    private final MemorySegment funcptr;
    private final long fallback;
    private final Consumer<? super LuaException> onError;
    private final AtomicLong errors = new AtomicLong();
    private volatile LuaException lastError;
    private final Object monitor = new Object();
    private volatile int waiters;
    private final AtomicInteger slowCallers = new AtomicInteger();
    private volatile boolean closed;
    private volatile boolean freed;

    private Callback(Builder builder, byte[] chunk, String mode, Object[] initArgs) {
        type = builder.type;
        layout = type.frame();
        name = builder.name;
        fallback = builder.fallback;
        onError = builder.onError;
        slots = new Slot[builder.states];
        refusal = new Slot(null, Arena.ofAuto().allocate(layout.size(), layout.alignment()));
        try {
            for (int i = 0; i < slots.length; i++) {
                MemorySegment frame = arena.allocate(layout.size(), layout.alignment());
                LuaState state = LuaState.open();
                slots[i] = new Slot(state, frame);
                state.pinEntry(chunk, name, mode, initArgs, layout.setupArgs(frame));
            }
            funcptr = Linker.nativeLinker().upcallStub(type.upcall().bindTo(this), type.descriptor(), arena);
        } catch (RuntimeException | Error e) {
            for (Slot slot : slots) {
                if (slot != null) {
                    slot.state.close();
                }
            }
            arena.close();
            throw e;
        }
    }

    // ---- the API ---------------------------------------------------------------------------------------------------

    /**
     * The C function pointer: a zero-length segment at the upcall stub, to hand to native code. Valid until
     * {@link #close()}.
     *
     * @throws IllegalStateException when closed
     */
    public MemorySegment funcptr() {
        if (closed) {
            throw new IllegalStateException("this callback is closed: its function pointer is freed");
        }
        return funcptr;
    }

    /** The callback's type. */
    public CallbackType type() {
        return type;
    }

    /** How many states serve calls (1 unless a pool was asked for). */
    public int states() {
        return slots.length;
    }

    /** How many calls have failed (a Lua error, a result that did not convert, or a refused call) since creation. */
    public long errorCount() {
        return errors.get();
    }

    /** The error of the last failed call, if any call failed. */
    public Optional<LuaException> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** True once {@link #close()} has begun. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Waits for the calls that are running, then frees the states ({@code lua_close}) and the upcall stub. Calls
     * that arrive meanwhile get the fallback result and a {@link LuaException.Kind#REFUSED} error. A second close
     * does nothing (it waits for the first to finish).
     *
     * @throws IllegalStateException when called from inside a call of this callback
     */
    @Override
    public void close() {
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
            while (slowCallers.get() > 0) {
                Thread.yield(); // refused callers are on their way out (through the error handler)
            }
            for (Slot slot : slots) {
                slot.state.close();
            }
            arena.close();
            freed = true;
        }
    }

    @Override
    public String toString() {
        return "Callback[" + name + ": " + type + ", " + slots.length + (slots.length == 1 ? " state, " : " states, ")
                + (closed ? "closed" : "open") + "]";
    }

    // ---- the per-call path (the body of the upcall stub; see CallbackType.Frame.upcall) ----------------------------

    /** Claims a state for the calling thread, or returns {@link #refusal} after reporting why. Never throws. */
    Slot enter() {
        Thread me = Thread.currentThread();
        Slot slot = tryClaim(me);
        if (slot != null) {
            return slot;
        }
        // Counted until it has a state or has left run(): close must not free the stub under a refused caller.
        slowCallers.incrementAndGet();
        try {
            slot = contended(me);
        } catch (Throwable t) {
            slot = refuse("it could not get a state: " + t);
        }
        if (slot != refusal) {
            slowCallers.decrementAndGet();
        }
        return slot;
    }

    /** Runs the claimed state's entry and releases it; returns the result's bits, or the fallback's. Never throws. */
    long run(Slot slot) {
        if (slot == refusal) {
            slowCallers.decrementAndGet();
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

    /** Claims one given slot, waiting as long as it takes (for close). */
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

    private void release(Slot slot) {
        OWNER.setRelease(slot, null);
        if (waiters > 0) {
            synchronized (monitor) {
                monitor.notify();
            }
        }
    }

    private boolean holds(Thread me) {
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

    private static void warn(LuaException error) {
        LOG.log(System.Logger.Level.WARNING, error.getMessage());
    }

    // ---- creation --------------------------------------------------------------------------------------------------

    /**
     * Chooses the options of new callbacks of one type: how many states, the fallback result, the error handler and
     * the chunk's name. Not thread-safe; each {@code create} makes a new callback.
     */
    public static final class Builder {
        private final CallbackType type;
        private int states = 1;
        private long fallback;
        private Consumer<? super LuaException> onError = Callback::warn;
        private String name = "callback";

        Builder(CallbackType type) {
            this.type = type;
        }

        /**
         * Serves calls with a pool of {@code count} states, each running the chunk with the same init args, so that
         * up to {@code count} calls run at once. 1 (the default) serializes the calls.
         */
        public Builder states(int count) {
            if (count < 1 || count > 256) {
                throw new IllegalArgumentException("a callback needs 1 to 256 states, not " + count);
            }
            this.states = count;
            return this;
        }

        /**
         * The result native code gets from a call that failed or was refused: a Number for numeric types (an integer
         * that fits the C type), a Boolean for {@code bool}, a native MemorySegment or null for pointers. The default
         * is the type's zero (0, false, NULL).
         *
         * @throws IllegalArgumentException when the value does not fit the result type
         */
        public Builder fallback(Object value) {
            this.fallback = CallbackType.Bits.of(type.result(), value);
            return this;
        }

        /**
         * Receives the error of each failed or refused call, on the thread that made the call, while the native
         * caller waits: keep it short. What it throws is ignored. The default logs a warning.
         */
        public Builder onError(Consumer<? super LuaException> handler) {
            this.onError = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** The chunk name that errors and tracebacks show for source chunks (default "callback"). */
        public Builder name(String chunkName) {
            if (chunkName == null || chunkName.isEmpty()) {
                throw new IllegalArgumentException("a chunk needs a name (it is shown in error messages)");
            }
            this.name = chunkName;
            return this;
        }

        /**
         * Creates a callback: opens its state(s) with LuaJIT's standard libraries, runs the Lua source once in each
         * with {@code initArgs} as {@code ...} (values convert as for {@link LuaState}), and serves calls with the
         * function the chunk returns.
         *
         * @throws LuaException             when the chunk does not compile or raises an error
         * @throws IllegalArgumentException when the chunk returns something other than a function, or an init arg
         *                                  has no Lua value
         */
        public Callback create(String source, Object... initArgs) {
            return new Callback(this, source.getBytes(StandardCharsets.UTF_8), "t", initArgs);
        }

        /**
         * Creates a callback from a compiled chunk: LuaJIT bytecode from {@link LuaState#compile} or
         * {@code string.dump}, which may serve any number of callbacks. As with lj-async, the dumped function must
         * have no upvalues (they do not cross states): such bytecode is refused with an
         * {@link IllegalArgumentException}. Load only bytecode you made: LuaJIT does not verify it.
         *
         * @see #create(String, Object...)
         */
        public Callback create(byte[] bytecode, Object... initArgs) {
            return new Callback(this, bytecode.clone(), "bt", initArgs);
        }
    }
}
