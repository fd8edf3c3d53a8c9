package dev.ljasync;

import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.values.JavaValues;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
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
 * counted ({@link #errorCount()}, {@link #lastError()}). The next call runs normally. A call of {@code os.exit} is
 * such an error, of kind {@link LuaException.Kind#EXIT}, unless the
 * {@link Builder#stateOptions(LuaState.Builder) state options} let it end the process. A call made on a thread with
 * less than 128 KB of stack left is refused the same way, with a {@link LuaException.Kind#REFUSED} "stack overflow"
 * error (see the README's stack limits).
 *
 * <h2>Seeing what runs</h2>
 * Failed and refused calls, and calls that waited for a state longer than a threshold, are Java Flight Recorder
 * events ({@code dev.ljasync.CallbackError}, {@code dev.ljasync.CallbackRefused}, {@code dev.ljasync.StateWait}),
 * emitted only on those slow paths; {@link #callCount()}, {@link #errorCount()}, {@link #refusalCount()} and
 * {@link #waitTime()} count without a recording. See the README's "Seeing what runs".
 *
 * <h2>Libraries</h2>
 * Each state opens every standard library, as in lj-async, unless {@link Builder#stateOptions(LuaState.Builder)}
 * chooses fewer (for untrusted code); the library's own Lua code uses the FFI in every state, out of user code's
 * reach.
 *
 * <h2>Lifetime</h2>
 * An open callback is never freed by the garbage collector: its pointer stays valid until {@link #close()}, which
 * waits for the calls that are running and frees the states. From then on every call is refused without crashing
 * (the fallback result, a {@link LuaException.Kind#REFUSED} error), for as long as this object is reachable; the
 * upcall stub itself is freed once it is not. What stays the caller's duty: native code must stop calling the
 * pointer before the last reference to a closed callback is dropped. A call after that jumps to freed code and
 * crashes the process; the library cannot see it coming.
 *
 * <h2>Queued calls</h2>
 * A callback with a {@code void} result may be {@link Builder#queued(int, QueueFull) queued}: a call copies its
 * arguments into a bounded queue and returns at once, without waiting for a state or running Lua, and one worker
 * thread of the library's per state runs the queued calls in order. Arguments are copied as they are: a pointer
 * is copied as an address, so what it points to must outlive the call's run, not only the call. Errors go to the
 * same handler and counters as direct calls' (the handler runs on the worker thread). A call from the callback's
 * own Lua code is just queued. When the queue is full, the caller waits for room or the call is dropped, as the
 * builder chose ({@link QueueFull}); dropped calls are counted in {@link #queueStats()}. {@link #close()} runs what
 * is queued before it closes, {@link #closeNow()} discards it.
 */
public final class Callback implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Callback.class.getName());

    private final CallbackType type;
    private final String name;
    private final CallbackStates states;
    private final QueuedCalls queue; // null for a direct callback
    // In an automatic arena: the stub holds the states, and while open the states hold this object, so an open
    // callback is never collected. Close drops that link; the stub is freed once this object is unreachable.
    // Null for a callback that only Java calls (a LuaThread's), which has no stub: making one costs 30 to 40 us.
    private final MemorySegment funcptr;
    // The stub's body, bound to the states: what Java calls instead of the pointer
    private final MethodHandle entry;

    private Callback(Builder builder, byte[] chunk, String mode, Object[] initArgs) {
        type = builder.type;
        name = builder.name;
        states = new CallbackStates(type, builder.states, name, builder.fallback, builder.onError,
                builder.stateOptions, chunk, mode, initArgs, builder.adapter, builder.adapterArgs,
                builder.interruption, this);
        if (!builder.recorded) {
            states.unrecorded(); // before the stub exists: no call can see the field change
        }
        QueuedCalls queued = null;
        try {
            if (builder.queueCapacity > 0) {
                queued = new QueuedCalls(states, type, builder.queueCapacity, builder.queueFull, name);
            }
            entry = queued != null ? queued.upcall(type) : type.upcall().bindTo(states);
            funcptr = builder.javaCalled ? null
                    : Linker.nativeLinker().upcallStub(entry, type.descriptor(), Arena.ofAuto());
        } catch (RuntimeException | Error e) {
            if (queued != null) {
                queued.close(true);
            }
            states.close();
            throw e;
        }
        queue = queued;
    }

    // ---- the API ---------------------------------------------------------------------------------------------------

    /**
     * The C function pointer: a zero-length segment at the upcall stub, to hand to native code.
     *
     * @return the function pointer
     * @throws IllegalStateException when closed
     */
    public MemorySegment funcptr() {
        if (funcptr == null) {
            throw new IllegalStateException("callback " + name + " is called from Java only and has no pointer");
        }
        if (isClosed()) {
            throw new IllegalStateException("this callback is closed: its states are freed and every call it gets"
                    + " is refused");
        }
        return funcptr;
    }

    /**
     * The body of the upcall stub, bound to this callback: calling it from Java runs a call exactly as a native call
     * through {@link #funcptr()} would, without the native transitions (and, for a callback made
     * {@link Builder#javaCalled()}, without a stub at all).
     */
    MethodHandle entry() {
        return entry;
    }

    /**
     * The callback's type.
     *
     * @return the type that made this callback
     */
    public CallbackType type() {
        return type;
    }

    /**
     * How many states serve calls (1 unless a pool was asked for).
     *
     * @return the number of states, 1 to 256
     */
    public int states() {
        return states.count();
    }

    /**
     * How many calls have failed (a Lua error, a result that did not convert, or a refused call) since creation.
     *
     * @return the number of failed calls
     */
    public long errorCount() {
        return states.errorCount();
    }

    /**
     * How many calls have run in one of the callback's states since creation, whether they returned or failed;
     * refused calls never ran and are not among them. Counted per state without an atomic add, so the total may
     * miss calls that are running at that moment.
     *
     * @return the number of calls that ran
     */
    public long callCount() {
        return states.callCount();
    }

    /**
     * How many calls were refused without running (a {@link LuaException.Kind#REFUSED} error: called again on a
     * thread already inside the callback with no other state free, called after close, or with too little stack)
     * since creation. They are also counted in {@link #errorCount()}.
     *
     * @return the number of refused calls
     */
    public long refusalCount() {
        return states.refusalCount();
    }

    /**
     * The time calls have spent waiting for a free state, in total since creation: only calls that found every
     * state busy wait, and only they are timed.
     *
     * @return the total wait, zero when no call has waited
     */
    public Duration waitTime() {
        return Duration.ofNanos(states.waitNanos());
    }

    /**
     * The error of the last failed call, if any call failed.
     *
     * @return the error, or empty when no call has failed
     */
    public Optional<LuaException> lastError() {
        return Optional.ofNullable(states.lastError());
    }

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the callback is closed or closing
     */
    public boolean isClosed() {
        return queue != null ? queue.isClosed() : states.isClosed();
    }

    /**
     * Waits for the calls that are running, then frees the states ({@code lua_close}). Calls that arrive from then on
     * are refused: they get the fallback result and count as {@link LuaException.Kind#REFUSED} errors (the error
     * handler is let go at close, so it is not called for them). The upcall stub is freed when this object is no
     * longer reachable. A second close does nothing (it waits for the first to finish).
     *
     * <p>A {@link Builder#queued(int, QueueFull) queued} callback first runs every call it has queued (the drain),
     * while calls that arrive meanwhile (those that the queued calls make among them) are refused without waiting:
     * they are counted as dropped and as
     * {@link LuaException.Kind#REFUSED} errors.
     *
     * @throws IllegalStateException when called from inside a call of this callback (for a queued one, from its
     *                               worker thread)
     */
    @Override
    public void close() {
        if (queue != null) {
            queue.close(false);
        } else {
            states.close();
        }
    }

    /**
     * Closes as {@link #close()} does, but a {@link Builder#queued(int, QueueFull) queued} callback discards the
     * calls that it has queued and not begun to run, instead of running them; the call that is running finishes.
     * Called while a draining close is under way, it discards what that close had yet to run.
     *
     * @return how many queued calls were discarded, in all (0 for a direct callback)
     * @throws IllegalStateException when called from inside a call of this callback (for a queued one, from its
     *                               worker thread)
     */
    public long closeNow() {
        if (queue != null) {
            return queue.close(true);
        }
        states.close();
        return 0;
    }

    /**
     * The counts of a {@link Builder#queued(int, QueueFull) queued} callback's calls. Each count is exact and only
     * grows; they are read one after another, so that {@code ran + discarded} never exceeds {@code queued}.
     *
     * @return the counts, now
     * @throws IllegalStateException when this callback is not queued
     */
    public QueueStats queueStats() {
        if (queue == null) {
            throw new IllegalStateException("callback " + name + " is not queued; Builder.queued(capacity) makes a"
                    + " queued one");
        }
        return queue.stats();
    }

    /**
     * What a queued callback's caller does when the queue is full.
     */
    public enum QueueFull {
        /**
         * The caller's thread waits (spinning briefly, then parked) until a worker takes a call out of the queue, or
         * the callback closes (then the call is refused). The default: no call is lost unless asked for. A call from
         * the callback's own worker thread (its Lua code calling the pointer) cannot wait for itself: it is dropped
         * and refused, a {@link LuaException.Kind#REFUSED} error.
         */
        BLOCK,
        /** The call is dropped: the caller returns at once, and the call is counted in {@link QueueStats#dropped()}. */
        DROP
    }

    /**
     * The counts of a queued callback's calls: every call made is either {@code queued} or {@code dropped}, and every
     * queued call has {@code ran} (whether it succeeded or failed), been {@code discarded} by {@link #closeNow()}, or
     * is {@link #pending()}.
     *
     * @param queued    calls that entered the queue
     * @param dropped   calls that did not: the queue was full with {@link QueueFull#DROP}, the callback was closed,
     *                  or a call of its own worker thread found the queue full (those two are refused, as errors too)
     * @param ran       queued calls that have run
     * @param discarded queued calls discarded by {@link #closeNow()}
     */
    public record QueueStats(long queued, long dropped, long ran, long discarded) {
        /**
         * The calls queued and not yet run or discarded (including one that is running).
         *
         * @return {@code queued - ran - discarded}
         */
        public long pending() {
            return queued - ran - discarded;
        }
    }

    @Override
    public String toString() {
        return "Callback[" + name + ": " + type + ", " + states() + (states() == 1 ? " state, " : " states, ")
                + (isClosed() ? "closed" : "open") + "]";
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
        private LuaState.Options stateOptions = LuaState.builder().options();
        private LibraryChunks.Chunk adapter;
        private Object[] adapterArgs = new Object[0];
        private Interruption interruption;
        private boolean recorded = true;
        private boolean javaCalled;
        private int queueCapacity; // 0: direct calls
        private QueueFull queueFull;

        Builder(CallbackType type) {
            this.type = type;
        }

        /**
         * Serves calls with a pool of {@code count} states, each running the chunk with the same init args, so that
         * up to {@code count} calls run at once. 1 (the default) serializes the calls.
         *
         * @param count the number of states, 1 to 256
         * @return this builder
         * @throws IllegalArgumentException when {@code count} is not from 1 to 256
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
         * @param value the fallback result
         * @return this builder
         * @throws IllegalArgumentException when the value does not fit the result type
         */
        public Builder fallback(Object value) {
            this.fallback = CallbackType.Bits.of(type.result(), value);
            return this;
        }

        /**
         * Receives the error of each failed or refused call, on the thread that made the call (the worker thread
         * for a call that was queued), while the native caller waits: keep it short. It runs once the call's state is free again, so it may call the callback; a
         * failure of this callback that it causes on its own thread is counted but not handed to it again (so that
         * it cannot recurse). What it throws is ignored. The default logs a warning.
         *
         * @param handler the error handler
         * @return this builder
         */
        public Builder onError(Consumer<? super LuaException> handler) {
            this.onError = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Opens each state of the callback with the choices of a {@link LuaState.Builder}, taken now: its libraries,
         * memory limit (enforced in every call), and whether Lua's loaders take bytecode, native modules load and
         * {@code os.exit} ends the process, and the modules it gives {@code require} from Java
         * ({@link LuaState.Builder#module}, {@link LuaState.Builder#modules(ClassLoader, String)}). The default is {@code LuaState.builder()}: every library, as in
         * lj-async, and none of the three. {@code CallbackType.of(sig).builder().stateOptions(LuaState.builder()
         * .libraries(Library.STRING, Library.MATH))} runs untrusted code that sees no FFI, io, os, debug or
         * {@code require}. The library's own Lua code still uses the FFI, string, table and jit libraries in each
         * state, out of user code's reach. What it cannot hide is in the signature: pointer parameters arrive as
         * FFI pointers (cdata) that Lua code can read and write through, as C code could. The states share the
         * builder's {@link LuaState.Builder#output(java.util.function.Consumer) output} sinks, which calls on
         * several threads may then write to at once (each state hands a consumer whole lines of its own).
         *
         * @param options the state choices; later changes to it do not affect this builder
         * @return this builder
         * @throws IllegalArgumentException when {@code options} gives Java modules without {@code Library.PACKAGE}
         */
        public Builder stateOptions(LuaState.Builder options) {
            return withStateOptions(Objects.requireNonNull(options, "options").options());
        }

        Builder withStateOptions(LuaState.Options options) {
            this.stateOptions = options;
            return this;
        }

        /**
         * Wraps the chunk's function in each state: {@code adapter} is a chunk of the library's own Lua code, run
         * with the function and {@code args}, returning the function calls go to (for LuaThread).
         */
        Builder adapter(LibraryChunks.Chunk adapter, Object... args) {
            this.adapter = adapter;
            this.adapterArgs = args;
            return this;
        }

        /** Makes each state interruptible through {@code interruption} (for a cancellable LuaThread). */
        Builder interruption(Interruption interruption) {
            this.interruption = interruption;
            return this;
        }

        /** Emits no flight recorder events for calls (for LuaThread, which emits its own). */
        Builder unrecorded() {
            this.recorded = false;
            return this;
        }

        /** A callback that only Java calls, through {@link Callback#entry()}: it gets no upcall stub. */
        Builder javaCalled() {
            this.javaCalled = true;
            return this;
        }

        /**
         * Makes calls queued, the caller waiting when the queue is full: {@code queued(capacity, QueueFull.BLOCK)}.
         *
         * @param capacity how many calls the queue holds at least, 1 to 1,048,576 (rounded up to a power of two)
         * @return this builder
         * @throws IllegalArgumentException when the result type is not {@code void}, or the capacity is out of range
         */
        public Builder queued(int capacity) {
            return queued(capacity, QueueFull.BLOCK);
        }

        /**
         * Makes calls queued, as Node's {@code napi_threadsafe_function} does for JavaScript: a call copies its
         * arguments into a queue of {@code capacity} calls and returns at once, and one worker thread of the
         * library's per state (see {@link #states(int)}) runs the queued calls, in order, each as a direct call runs.
         * For native callers that must not wait for Lua (audio, network, driver threads). Only a {@code void} result
         * can be queued: the caller is gone by the time the Lua function runs. Pointer arguments are copied as
         * addresses: what they point to must outlive the call's run.
         *
         * @param capacity how many calls the queue holds at least, 1 to 1,048,576 (rounded up to a power of two)
         * @param whenFull what a call does when the queue is full: wait for room, or be dropped (counted)
         * @return this builder
         * @throws IllegalArgumentException when the result type is not {@code void}, or the capacity is out of range
         */
        public Builder queued(int capacity, QueueFull whenFull) {
            Objects.requireNonNull(whenFull, "whenFull");
            if (type.result().layout() != null) {
                throw new IllegalArgumentException("only a callback with a void result can be queued: its caller"
                        + " returns before the Lua function runs, so no result can reach it; " + type + " returns "
                        + type.result().spelling());
            }
            if (capacity < 1 || capacity > QueuedCalls.MAX_CAPACITY) {
                throw new IllegalArgumentException("a queue holds 1 to " + QueuedCalls.MAX_CAPACITY + " calls, not "
                        + capacity);
            }
            this.queueCapacity = capacity;
            this.queueFull = whenFull;
            return this;
        }

        /**
         * The chunk name that errors and tracebacks show for source chunks (default "callback").
         *
         * @param chunkName the name
         * @return this builder
         * @throws IllegalArgumentException when {@code chunkName} is null or empty
         */
        public Builder name(String chunkName) {
            if (chunkName == null || chunkName.isEmpty()) {
                throw new IllegalArgumentException("a chunk needs a name (it is shown in error messages)");
            }
            this.name = chunkName;
            return this;
        }

        /**
         * Creates a callback: opens its state(s) (with LuaJIT's standard libraries unless
         * {@link #stateOptions(LuaState.Builder) chosen}), runs the Lua source once in each with {@code initArgs} as
         * {@code ...} (values convert as for {@link LuaState}), and serves calls with the function the chunk returns.
         * Text is text: a binary chunk is refused, and so is bytecode that the source hands to Lua's own loaders
         * unless the state options allow it.
         *
         * @param source   the Lua source of the chunk, which returns the function that serves calls
         * @param initArgs the chunk's {@code ...}
         * @return the new callback, open until {@link Callback#close()}
         * @throws LuaException             when the chunk does not compile or raises an error
         * @throws IllegalArgumentException when the chunk returns something other than a function, or an init arg
         *                                  has no Lua value
         */
        public Callback create(String source, Object... initArgs) {
            return make(JavaValues.source(source), "t", initArgs);
        }

        /**
         * Creates a callback from a compiled chunk: LuaJIT bytecode from {@link LuaState#compile} or
         * {@code string.dump}, which may serve any number of callbacks. As with lj-async, the dumped function must
         * have no upvalues (they do not cross states): such bytecode is refused with an
         * {@link IllegalArgumentException}. For trusted code only: LuaJIT does not verify bytecode, and bytecode
         * crafted to be malformed can crash the process. Load only bytecode you made.
         *
         * @param bytecode the compiled chunk, which returns the function that serves calls; copied
         * @param initArgs the chunk's {@code ...}
         * @return the new callback, open until {@link Callback#close()}
         * @throws LuaException             when the chunk does not load or raises an error
         * @throws IllegalArgumentException when the dumped function has upvalues, the chunk returns something other
         *                                  than a function, or an init arg has no Lua value
         * @see #create(String, Object...)
         */
        public Callback create(byte[] bytecode, Object... initArgs) {
            return make(bytecode.clone(), "bt", initArgs);
        }

        /**
         * Creates a callback from a Lua function of another state, copied into each new state with its upvalues
         * (by the rules of the README's "From lj-async": numbers, strings, booleans, tables, other Lua functions,
         * loaded modules by name, sync objects as themselves). Without init args the function serves the calls;
         * with them it is called once in each state with the init args and returns the function that does (as an
         * lj-async init function). The function's own state is not used after this returns.
         *
         * @param function a reference to a Lua function, in any open state
         * @param initArgs the init function's arguments, converted by the one rule; none for a function that serves
         *                 the calls itself
         * @return the new callback, open until {@link Callback#close()}
         * @throws IllegalArgumentException when {@code function} is not a function, one of its upvalues cannot be
         *                                  copied (the message names it), or an init function returns something
         *                                  other than a function
         * @throws LuaException             when the init function raises an error
         * @throws IllegalStateException    when the reference or its state is closed
         */
        public Callback create(LuaValue function, Object... initArgs) {
            return copied(function.copied("callback"), initArgs.length > 0, initArgs);
        }

        /** Creates a callback from a payload of ljasync.copy; see {@link PinnedEntry#COPIED}. */
        Callback copied(byte[] payload, boolean init, Object[] initArgs) {
            return make(payload, init ? PinnedEntry.COPIED_INIT : PinnedEntry.COPIED, initArgs);
        }

        /** Creates a callback whose function comes from {@code chunk} as {@code mode} says (see {@link PinnedEntry}). */
        Callback make(byte[] chunk, String mode, Object[] initArgs) {
            return new Callback(this, chunk, mode, initArgs);
        }
    }
}
