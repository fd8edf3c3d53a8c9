package dev.ljasync;

import dev.ljasync.internal.events.ThreadCancel;
import dev.ljasync.internal.events.ThreadEnd;
import dev.ljasync.internal.events.ThreadStart;
import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.sync.ThreadCache;
import dev.ljasync.internal.sync.ThreadResults;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread that runs a Lua function in a {@code lua_State} of its own: the chunk runs in a new state with the init
 * args and returns the thread function, which {@link #spawn(String, Object...) spawn} calls with no arguments and
 * {@link #start(String, MemorySegment, Object...) start} with a userdata pointer, as lj-async's threads did. The
 * thread is a platform thread (or, on request, a native thread made by {@code pthread_create}) whose body calls the
 * function as a native call of its {@link Callback} would run (the same entry, errors and counters), from Java: the
 * callback has no C function pointer, whose upcall stub would cost more to make than the rest of a short thread's
 * start. Thread-safe.
 *
 * <p>Threads are reused: starting a thread costs more than the rest of a short LuaThread, so a thread whose
 * LuaThread has ended waits up to 5 s for the next one before it exits (platform and native threads apart, at most 16
 * of each waiting). Each running LuaThread still has a thread of its own, named after it while it runs
 * ({@code Thread.currentThread().getName()} in its Java functions is the LuaThread's name), with the starting
 * thread's context class loader and no inheritable thread locals; between two LuaThreads the thread takes back its
 * interrupt. While a flight recording of the library's events runs, each LuaThread gets a new thread, so that
 * the recording names the thread after it (a recording keeps the first name it saw). The threads are daemons: a
 * LuaThread that runs does not keep the JVM alive, so join it before {@code main} returns.
 *
 * <pre>{@code
 * try (LuaThread worker = LuaThread.spawn("""
 *         local n = ...
 *         return function()
 *           return n * n, "squared"
 *         end""", 12)) {
 *     List<Object> results = worker.future().get(5, TimeUnit.SECONDS); // [144, squared]
 * }
 * }</pre>
 *
 * <p>The two ways to start have two names, so that a call cannot mean the other: {@code spawn(source, x)} passes
 * {@code x} to the chunk as an init arg whatever its type (a {@link MemorySegment} too), and
 * {@code start(source, userdata, initArgs...)} always takes the userdata first.
 *
 * <h2>Results and errors</h2>
 * The function may return any number of values, each of which must be able to cross between states as the values of
 * a {@link Channel} do: nil, booleans, numbers, strings (any bytes), {@code int64_t} and {@code uint64_t} cdata,
 * pointers (and arrays and structs, as their address), and tables of those. They arrive as a channel's values do (a
 * number as Long or Double, a string as String or byte[], a table as a {@code Map}, a large {@code uint64_t} as
 * BigInteger, a pointer as a zero-length native MemorySegment; see "Values" in {@link Channel}), in
 * {@link #results()}, with null for nil; {@link #result()} is the first (null when there is none). A result that
 * cannot cross (a function, a coroutine, a userdata, an {@code int} cdata) fails the thread with an error that names
 * it ("result 2 of the thread function is a function, ...").
 * A Lua error ends the thread with status {@link Status#FAILED}; the {@link LuaException}, with its Lua traceback,
 * is {@link #error()}. So does a call of {@code os.exit}, with an error of kind {@link LuaException.Kind#EXIT},
 * unless the {@link Builder#stateOptions(LuaState.Builder) state options} let it end the process. The state opens
 * every library unless those options choose fewer; the results cross in every state, whatever it opens.
 *
 * <h2>The future</h2>
 * {@link #future()} lets the thread join Java's asynchronous code: it completes when the thread ends, with the
 * results for a {@link Status#FINISHED} thread, exceptionally with the {@link LuaException} for a
 * {@link Status#FAILED} one, and cancelled for a {@link Status#CANCELLED} one (the error is the cause of the
 * {@link java.util.concurrent.CancellationException} it holds, which {@code get} and {@code join} wrap in another).
 * The other way round, cancelling the future cancels a cancellable thread (the future is cancelled at once, and the
 * thread stops soon after, or finishes if it was returning already); for a thread started without cancellation it
 * does nothing and returns false, and the future still completes when the thread ends. The future completes before
 * {@link #join()} returns; its dependent stages that are not async run on the thread as it ends (a {@code join} of
 * the thread there returns at once): keep them short, or use the {@code ...Async} methods. Completing the future
 * yourself ({@code complete}, {@code orTimeout}) changes the future only, never the thread.
 *
 * <h2>Cancellation</h2>
 * A thread started with {@link Builder#cancellable(boolean) cancellable(true)} stops soon after {@link #cancel()}
 * (within milliseconds) wherever its Lua code is, endless loops included, whenever cancel comes: a cancel that
 * comes before the function starts is kept, and the function does not run. Its state is an interruptible one (see
 * "Interruption" in {@link LuaState}): LuaJIT's JIT compiler is off, and a count hook checks the cancel flag every
 * 10,000 VM instructions (LuaJIT runs no hook inside compiled code, so with the JIT on an endless loop could never
 * be stopped). That costs the speed of compiled code: leave it off for threads that never need cancelling. Cancel
 * also ends a wait in the library's {@code ljasync.sync} module (a channel, a mutex, a semaphore) with an error,
 * whether the wait began before or after it. Lua code cannot undo a cancel: {@code jit.on} and
 * {@code debug.sethook} are refused, and {@code pcall}, {@code xpcall} and {@code coroutine.resume} raise the
 * cancellation again when they catch it. Cancel cannot stop a thread blocked inside another native call (a
 * {@code read}, a {@code sleep}) until that call returns, a {@code __gc} finalizer that never ends (LuaJIT runs no
 * hook there), nor code that uses the FFI to reach LuaJIT's C API. A cancelled thread that ends with an error,
 * whichever, ends {@link Status#CANCELLED}, with an error of kind {@link LuaException.Kind#CANCELLED}.
 *
 * <h2>Seeing what runs</h2>
 * A thread's start, end (with its status) and cancel are Java Flight Recorder events ({@code dev.ljasync.ThreadStart},
 * {@code dev.ljasync.ThreadEnd}, {@code dev.ljasync.ThreadCancel}); see the README's "Seeing what runs".
 *
 * <h2>Lifetime</h2>
 * The thread's state is freed as soon as the function returns. {@link #close()} is refused while the thread runs
 * (join or cancel it first) and harmless afterwards.
 */
public final class LuaThread implements AutoCloseable {

    /** Where a thread is in its life. */
    public enum Status {
        /** Started and not yet ended. */
        RUNNING,
        /** The function returned; {@link #results()} holds what it returned. */
        FINISHED,
        /** The function raised an error; {@link #error()} holds it. */
        FAILED,
        /** The thread stopped because it was cancelled. */
        CANCELLED
    }

    private static final CallbackType TYPE = CallbackType.of("void *(*)(void *userdata)");
    private static final AtomicLong COUNT = new AtomicLong();

    private final String name;
    private final Callback callback;
    private final MemorySegment userdata;
    private final Interruption cancellation; // null when not cancellable
    private final ThreadResults results = new ThreadResults();
    private final ThreadFuture future;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Status status = Status.RUNNING;
    private volatile LuaException error;
    private volatile List<Object> values;
    private volatile Thread runner;
    private final boolean nativeThread; // for the flight recorder's ThreadStart
    private final boolean keepMessages;
    private volatile List<byte[]> messages; // the results as they crossed, when kept (for lj-async.thread)

    /**
     * {@code userdata}: null for a function that takes none ({@link #spawn}). {@code mode}: where the function
     * comes from, as {@link PinnedEntry#pin} takes it. {@code maybeInit}: a function that returns just a function
     * was lj-async's fork's init function, and the thread runs what it returned (see thread.lua).
     */
    private LuaThread(Builder builder, byte[] chunk, String mode, MemorySegment userdata, Object[] initArgs,
                      boolean maybeInit) {
        this.keepMessages = builder.keepMessages;
        this.name = builder.name != null ? builder.name : "lua-thread-" + COUNT.incrementAndGet();
        this.userdata = userdata != null ? userdata : MemorySegment.NULL;
        this.cancellation = builder.cancellable ? new Interruption(true, "ljasync: thread " + name + " was cancelled")
                : null;
        this.future = new ThreadFuture(cancellation, name);
        Callback.Builder callbackBuilder = TYPE.builder().name(name).onError(e -> error = e)
                .withStateOptions(builder.stateOptions)
                .adapter(LibraryChunks.THREAD, results.handle(), userdata != null, maybeInit, results.numberSlot())
                .interruption(cancellation).unrecorded().javaCalled();
        try {
            this.callback = callbackBuilder.make(chunk, mode, initArgs);
        } catch (RuntimeException | Error e) {
            results.release();
            throw e;
        }
        this.nativeThread = builder.nativeThread;
        try {
            (builder.nativeThread ? ThreadCache.NATIVE : ThreadCache.PLATFORM).run(name, this::body,
                    ended::countDown, !ThreadStart.isRecorded());
        } catch (RuntimeException | Error e) {
            callback.close();
            results.release();
            throw e;
        }
    }

    /** The userdata as the thread gets it: the address of a native segment (the thread may not be its owner). */
    private static MemorySegment userdata(MemorySegment userdata) {
        if (!Objects.requireNonNull(userdata, "userdata (use MemorySegment.NULL for none)").isNative()) {
            throw new IllegalArgumentException("userdata must be a native segment, not " + userdata);
        }
        return MemorySegment.ofAddress(userdata.address());
    }

    /**
     * Starts a platform thread: opens a state, runs the Lua source there with {@code initArgs} as {@code ...}, and
     * calls the function it returns with no arguments.
     *
     * @param source   the Lua source of the chunk, which returns the thread function
     * @param initArgs the chunk's {@code ...}, whatever their types (a MemorySegment is an init arg here too)
     * @return the started thread
     * @throws LuaException             when the chunk does not compile or fails (no thread is started)
     * @throws IllegalArgumentException when the chunk does not return a function, or an init arg has no Lua value
     */
    public static LuaThread spawn(String source, Object... initArgs) {
        return builder().spawn(source, initArgs);
    }

    /**
     * Starts a thread from compiled bytecode; see {@link #spawn(String, Object...)}.
     *
     * @param bytecode the compiled chunk, which returns the thread function; copied
     * @param initArgs the chunk's {@code ...}
     * @return the started thread
     * @throws LuaException             when the chunk does not load or fails (no thread is started)
     * @throws IllegalArgumentException when the dumped function has upvalues, the chunk does not return a function,
     *                                  or an init arg has no Lua value
     */
    public static LuaThread spawn(byte[] bytecode, Object... initArgs) {
        return builder().spawn(bytecode, initArgs);
    }

    /**
     * Starts a platform thread as lj-async did: opens a state, runs the Lua source there with {@code initArgs} as
     * {@code ...}, and calls the function it returns with {@code userdata} (a pointer in Lua, as {@code ffi.cast}
     * takes it). {@link #spawn(String, Object...)} starts a function that takes no userdata.
     *
     * @param source   the Lua source of the chunk, which returns the thread function
     * @param userdata the pointer the function is called with: a native segment, or {@link MemorySegment#NULL}
     * @param initArgs the chunk's {@code ...}
     * @return the started thread
     * @throws LuaException             when the chunk does not compile or fails (no thread is started)
     * @throws IllegalArgumentException when the chunk does not return a function, {@code userdata} is not a native
     *                                  segment, or an init arg has no Lua value
     */
    public static LuaThread start(String source, MemorySegment userdata, Object... initArgs) {
        return builder().start(source, userdata, initArgs);
    }

    /**
     * Starts a thread from compiled bytecode; see {@link #start(String, MemorySegment, Object...)}.
     *
     * @param bytecode the compiled chunk, which returns the thread function; copied
     * @param userdata the pointer the function is called with: a native segment, or {@link MemorySegment#NULL}
     * @param initArgs the chunk's {@code ...}
     * @return the started thread
     * @throws LuaException             when the chunk does not load or fails (no thread is started)
     * @throws IllegalArgumentException when the dumped function has upvalues, the chunk does not return a function,
     *                                  {@code userdata} is not a native segment, or an init arg has no Lua value
     */
    public static LuaThread start(byte[] bytecode, MemorySegment userdata, Object... initArgs) {
        return builder().start(bytecode, userdata, initArgs);
    }

    /**
     * Starts a platform thread that calls a Lua function of another state, copied with its upvalues; see
     * {@link Builder#spawn(LuaValue, Object...)}.
     *
     * @param function a reference to a Lua function
     * @param args     the function's arguments
     * @return the started thread
     * @throws IllegalArgumentException when the function, or one of its upvalues, cannot be copied
     */
    public static LuaThread spawn(LuaValue function, Object... args) {
        return builder().spawn(function, args);
    }

    /**
     * Starts a platform thread as lj-async's {@code Thread(func, ud, ...)}, from a Lua function of another state;
     * see {@link Builder#start(LuaValue, MemorySegment, Object...)}.
     *
     * @param function a reference to a Lua function
     * @param userdata the pointer the thread function is called with
     * @param initArgs none, or the arguments of an init function that returns the thread function
     * @return the started thread
     * @throws IllegalArgumentException when the function, or one of its upvalues, cannot be copied
     * @throws LuaException             when an init function raises an error
     */
    public static LuaThread start(LuaValue function, MemorySegment userdata, Object... initArgs) {
        return builder().start(function, userdata, initArgs);
    }

    /**
     * A builder for a thread with a name, cancellation, or a native (pthread) thread.
     *
     * @return a new builder, set to what {@link #spawn(String, Object...)} and
     *         {@link #start(String, MemorySegment, Object...)} start
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Chooses how a new {@link LuaThread} runs. Not thread-safe; each {@code start} starts a new thread. */
    public static final class Builder {
        private String name;
        private boolean cancellable;
        private boolean nativeThread;
        private LuaState.Options stateOptions = LuaState.builder().options();
        private boolean keepMessages;

        private Builder() {}

        /**
         * The thread's name (also the chunk name in errors and tracebacks); default "lua-thread-N".
         *
         * @param name the name
         * @return this builder
         * @throws IllegalArgumentException when {@code name} is null or empty
         */
        public Builder name(String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("a thread name must not be empty");
            }
            this.name = name;
            return this;
        }

        /**
         * Whether {@link #cancel()} can stop the thread; costs the JIT compiler (see the class documentation).
         *
         * @param cancellable whether the thread can be cancelled; off by default
         * @return this builder
         */
        public Builder cancellable(boolean cancellable) {
            this.cancellable = cancellable;
            return this;
        }

        /**
         * Runs the thread as a native thread made by libc's {@code pthread_create} instead of a Java platform thread;
         * joining, results, errors and cancellation are the same.
         *
         * @param nativeThread whether to run on a native thread; off by default
         * @return this builder
         */
        public Builder nativeThread(boolean nativeThread) {
            this.nativeThread = nativeThread;
            return this;
        }

        /**
         * Opens the thread's state with the choices of a {@link LuaState.Builder}, taken now: its libraries, memory
         * limit, and whether Lua's loaders take bytecode, native modules load and {@code os.exit} ends the process
         * (it ends the thread {@link Status#FAILED} with a {@link LuaException.Kind#EXIT} error by default), the
         * modules it gives {@code require} from Java ({@link LuaState.Builder#module}), and where its output goes
         * ({@link LuaState.Builder#output(java.io.PrintStream)}: a last partial line reaches a consumer of lines
         * before {@link #join()} returns). The default is every library; see
         * {@link Callback.Builder#stateOptions(LuaState.Builder)} for what a sandbox keeps.
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
         * Starts the thread, calling its function with no arguments; see {@link LuaThread#spawn(String, Object...)}.
         *
         * @param source   the Lua source of the chunk, which returns the thread function
         * @param initArgs the chunk's {@code ...}, whatever their types (a MemorySegment is an init arg here too)
         * @return the started thread
         * @throws LuaException             when the chunk does not compile or fails (no thread is started)
         * @throws IllegalArgumentException when the chunk does not return a function, or an init arg has no Lua
         *                                  value
         */
        public LuaThread spawn(String source, Object... initArgs) {
            return new LuaThread(this, JavaValues.source(source), "t", null, initArgs, false);
        }

        /**
         * Starts the thread from compiled bytecode, calling its function with no arguments; see
         * {@link LuaThread#spawn(String, Object...)}.
         *
         * @param bytecode the compiled chunk, which returns the thread function; copied
         * @param initArgs the chunk's {@code ...}
         * @return the started thread
         * @throws LuaException             when the chunk does not load or fails (no thread is started)
         * @throws IllegalArgumentException when the dumped function has upvalues, the chunk does not return a
         *                                  function, or an init arg has no Lua value
         */
        public LuaThread spawn(byte[] bytecode, Object... initArgs) {
            return new LuaThread(this, bytecode.clone(), "bt", null, initArgs, false);
        }

        /**
         * Starts a thread that calls a Lua function of another state, copied into the new state with its upvalues
         * (see {@link Callback.Builder#create(LuaValue, Object...)} for what is copied), with {@code args}.
         *
         * @param function a reference to a Lua function, in any open state
         * @param args     the function's arguments, converted by the one rule
         * @return the started thread
         * @throws IllegalArgumentException when {@code function} is not a function, or one of its upvalues cannot be
         *                                  copied (the message names it)
         * @throws IllegalStateException    when the reference or its state is closed
         */
        public LuaThread spawn(LuaValue function, Object... args) {
            return new LuaThread(this, function.copied("thread", args), PinnedEntry.COPIED_BOUND, null,
                    new Object[0], false);
        }

        /**
         * Starts a thread as lj-async's {@code Thread(func, ud, ...)} does, from a Lua function of another state,
         * copied into the new state with its upvalues: without init args the function is called with
         * {@code userdata}; with them it is called first with the init args and returns the function that is.
         *
         * @param function a reference to a Lua function, in any open state
         * @param userdata the pointer the thread function is called with: a native segment, or
         *                 {@link MemorySegment#NULL}
         * @param initArgs the init function's arguments; none for a function that is the thread function itself
         * @return the started thread
         * @throws IllegalArgumentException when {@code function} is not a function, one of its upvalues cannot be
         *                                  copied, an init function returns something other than a function, or
         *                                  {@code userdata} is not a native segment
         * @throws LuaException             when the init function raises an error (no thread is started)
         */
        public LuaThread start(LuaValue function, MemorySegment userdata, Object... initArgs) {
            return new LuaThread(this, function.copied("thread"), initArgs.length > 0 ? PinnedEntry.COPIED_INIT
                    : PinnedEntry.COPIED, userdata(userdata), initArgs, false);
        }

        /**
         * Starts a thread for lj-async.thread: the function is a payload of ljasync.copy made in Lua, with its
         * init args in it; the results' messages are kept for the Lua side.
         */
        LuaThread copied(byte[] payload, boolean init, MemorySegment userdata) {
            keepMessages = true;
            return new LuaThread(this, payload, init ? PinnedEntry.COPIED_INIT : PinnedEntry.COPIED, userdata,
                    new Object[0], !init);
        }

        /**
         * Starts the thread, calling its function with {@code userdata}; see
         * {@link LuaThread#start(String, MemorySegment, Object...)}.
         *
         * @param source   the Lua source of the chunk, which returns the thread function
         * @param userdata the pointer the function is called with: a native segment, or {@link MemorySegment#NULL}
         * @param initArgs the chunk's {@code ...}
         * @return the started thread
         * @throws LuaException             when the chunk does not compile or fails (no thread is started)
         * @throws IllegalArgumentException when the chunk does not return a function, {@code userdata} is not a
         *                                  native segment, or an init arg has no Lua value
         */
        public LuaThread start(String source, MemorySegment userdata, Object... initArgs) {
            return new LuaThread(this, JavaValues.source(source), "t", userdata(userdata), initArgs, false);
        }

        /**
         * Starts the thread from compiled bytecode, calling its function with {@code userdata}; see
         * {@link LuaThread#start(String, MemorySegment, Object...)}.
         *
         * @param bytecode the compiled chunk, which returns the thread function; copied
         * @param userdata the pointer the function is called with: a native segment, or {@link MemorySegment#NULL}
         * @param initArgs the chunk's {@code ...}
         * @return the started thread
         * @throws LuaException             when the chunk does not load or fails (no thread is started)
         * @throws IllegalArgumentException when the dumped function has upvalues, the chunk does not return a
         *                                  function, {@code userdata} is not a native segment, or an init arg has
         *                                  no Lua value
         */
        public LuaThread start(byte[] bytecode, MemorySegment userdata, Object... initArgs) {
            return new LuaThread(this, bytecode.clone(), "bt", userdata(userdata), initArgs, false);
        }
    }

    /**
     * The thread's body: one call of the callback's entry, which returns the number of results that thread.lua
     * sent; then the results are taken, the state is freed and the future completed.
     */
    private void body() {
        runner = Thread.currentThread();
        ThreadEnd run = null;
        long count = 0;
        try {
            ThreadStart.emit(name, nativeThread, cancellation != null);
            run = ThreadEnd.started();
            // From here cancel() interrupts this thread; a cancel that came before is seen now, and the function
            // does not run at all.
            if (cancellation == null || cancellation.enter(0)) {
                MemorySegment returned = (MemorySegment) callback.entry().invokeExact(userdata);
                count = returned.address();
            } else {
                error = new LuaException(LuaException.Kind.CANCELLED, "thread " + name + " was cancelled before"
                        + " it started", "", null);
            }
        } catch (Throwable t) {
            error = new LuaException(LuaException.Kind.JAVA, "thread " + name + " failed in Java: "
                    + Failures.describe(t), "", t);
        } finally {
            boolean cancelled = cancellation != null && cancellation.isRaised();
            if (cancellation != null) {
                cancellation.leave(); // and takes back its interrupt, which would end the take below
            }
            List<Object> taken = error == null ? take(count) : null;
            values = taken;
            Status end = error == null ? Status.FINISHED : cancelled ? Status.CANCELLED : Status.FAILED;
            status = end;
            // join returns once the thread is ready for its next LuaThread (ThreadCache runs ended.countDown)
            callback.close();
            results.release();
            future.end(end, taken, error);
            ThreadEnd.ended(run, name, end.name(), error == null ? null : error.luaMessage());
        }
    }

    /** The results that thread.lua sent, or null after setting the error; their messages kept when asked. */
    private List<Object> take(long count) {
        try {
            List<byte[]> taken = results.take(count);
            if (keepMessages) {
                messages = taken;
            }
            return ThreadResults.decode(taken);
        } catch (Throwable t) {
            error = new LuaException(LuaException.Kind.JAVA, "thread " + name + " failed in Java: "
                    + Failures.describe(t), "", t);
            return null;
        }
    }

    /** The results as they crossed, once the thread finished, when its builder kept them; else null. */
    List<byte[]> messages() {
        return messages;
    }

    /**
     * Waits for the thread to end. On the thread itself, as it ends (in a dependent stage of {@link #future()}),
     * returns at once.
     *
     * @throws InterruptedException  when the calling thread is interrupted while it waits
     * @throws IllegalStateException when called on the thread while it runs (its Lua code called Java through
     *                               native code), which would wait for itself
     */
    public void join() throws InterruptedException {
        if (!endingHere()) {
            ended.await();
        }
    }

    /**
     * Waits at most {@code timeout} for the thread to end; {@link Duration#ZERO} only looks.
     *
     * @param timeout how long to wait at most
     * @return true when the thread has ended, false when the timeout passed first
     * @throws IllegalArgumentException when the timeout is negative
     * @throws InterruptedException     when the calling thread is interrupted while it waits
     * @throws IllegalStateException    when called on the thread while it runs, as for {@link #join()}
     */
    public boolean join(Duration timeout) throws InterruptedException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a join timeout cannot be negative: " + timeout);
        }
        if (endingHere()) {
            return true;
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return ended.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** True on the thread's own thread once it has ended (its future completes there before join returns). */
    private boolean endingHere() {
        if (Thread.currentThread() != runner) {
            return false;
        }
        if (status == Status.RUNNING) {
            throw new IllegalStateException("thread " + name + " cannot join itself: its own code would wait for"
                    + " itself forever");
        }
        return true;
    }

    /**
     * Where the thread is in its life.
     *
     * @return the status now
     */
    public Status status() {
        return status;
    }

    /**
     * True while the thread runs.
     *
     * @return whether the status is {@link Status#RUNNING}
     */
    public boolean isAlive() {
        return status == Status.RUNNING;
    }

    /**
     * What the function returned, in order, as Java values (see "Results and errors" above): null for nil, so that
     * {@code return 1, nil, 3} gives {@code [1, null, 3]}.
     *
     * @return the results, an unmodifiable list (empty when the function returned nothing)
     * @throws IllegalStateException while the thread runs, or when it failed or was cancelled (see {@link #error()})
     */
    public List<Object> results() {
        Status now = status;
        if (now != Status.FINISHED) {
            throw new IllegalStateException("thread " + name + " has no results: it is " + now
                    + (now == Status.RUNNING ? " (join it first)" : ""), error);
        }
        return values;
    }

    /**
     * The first of {@link #results()}.
     *
     * @return the first result, or null when it is nil or the function returned nothing
     * @throws IllegalStateException while the thread runs, or when it failed or was cancelled (see {@link #error()})
     */
    public Object result() {
        List<Object> all = results();
        return all.isEmpty() ? null : all.getFirst();
    }

    /**
     * The thread's results as a future, completed when the thread ends: normally with {@link #results()},
     * exceptionally with the {@link LuaException} of a {@link Status#FAILED} thread, cancelled for a
     * {@link Status#CANCELLED} one.
     * Cancelling it cancels a cancellable thread, and does nothing for another (see "The future" above).
     *
     * @return the future, the same one at each call
     */
    public CompletableFuture<List<Object>> future() {
        return future;
    }

    /**
     * The error that ended the thread (a {@link Status#FAILED} or {@link Status#CANCELLED} thread), if any.
     *
     * @return the error, or empty for a running or {@link Status#FINISHED} thread
     */
    public Optional<LuaException> error() {
        return status == Status.RUNNING ? Optional.empty() : Optional.ofNullable(error);
    }

    /**
     * The thread's name.
     *
     * @return the name given to the builder, or "lua-thread-N"
     */
    public String name() {
        return name;
    }

    /**
     * Asks the thread to stop; it does soon after, unless it is blocked in a native call (see the class
     * documentation), and ends {@link Status#CANCELLED}, its future cancelled. Does nothing once the thread has
     * ended.
     *
     * @throws IllegalStateException when the thread was not started {@link Builder#cancellable(boolean) cancellable}
     */
    public void cancel() {
        if (cancellation == null) {
            throw new IllegalStateException("thread " + name + " was not started cancellable;"
                    + " use LuaThread.builder().cancellable(true)");
        }
        if (status == Status.RUNNING) {
            ThreadCancel.emit(name);
        }
        cancellation.raise();
    }

    /**
     * Frees what is left of the thread; its state was freed when the function returned. Harmless to repeat.
     *
     * @throws IllegalStateException while the thread runs: join it (or cancel it) first
     */
    @Override
    public void close() {
        if (status == Status.RUNNING) {
            throw new IllegalStateException("thread " + name + " is still running: join it (or cancel and join it)"
                    + " before closing");
        }
        callback.close();
    }

    @Override
    public String toString() {
        return "LuaThread[" + name + ", " + status + "]";
    }
}
