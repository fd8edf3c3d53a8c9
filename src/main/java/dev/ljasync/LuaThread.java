package dev.ljasync;

import dev.ljasync.internal.Failures;
import dev.ljasync.internal.Interruption;
import dev.ljasync.internal.JavaValues;
import dev.ljasync.internal.LibraryChunks;
import dev.ljasync.internal.NativeThreads;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * A thread that runs a Lua function in a {@code lua_State} of its own, as lj-async's threads did: the chunk runs in
 * a new state with the init args and returns the thread function, which is called with a userdata pointer. The
 * thread is a platform thread (or, on request, a native thread made by {@code pthread_create}) whose body calls the
 * function through its {@link Callback}'s C function pointer with a native downcall, exactly as native code would.
 * Thread-safe.
 *
 * <pre>{@code
 * try (LuaThread worker = LuaThread.start("""
 *         local ffi = require("ffi")
 *         return function(ud)
 *           local n = ffi.cast("int64_t *", ud)[0]
 *           return n * n
 *         end""", cell)) {
 *     if (worker.join(Duration.ofSeconds(5))) {
 *         long square = worker.result();
 *     }
 * }
 * }</pre>
 *
 * <h2>Results and errors</h2>
 * The function's result, an integer or a pointer (or nothing: 0), is {@link #result()}. A Lua error ends the thread
 * with status {@link Status#FAILED}; the {@link LuaException}, with its Lua traceback, is {@link #error()}. So does
 * a call of {@code os.exit}, with an error of kind {@link LuaException.Kind#EXIT}, unless the
 * {@link Builder#stateOptions(LuaState.Builder) state options} let it end the process. The state opens every
 * library unless those options choose fewer.
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
 * <h2>Lifetime</h2>
 * The thread's state is freed as soon as the function returns. {@link #close()} is refused while the thread runs
 * (join or cancel it first) and harmless afterwards.
 */
public final class LuaThread implements AutoCloseable {

    /** Where a thread is in its life. */
    public enum Status {
        /** Started and not yet ended. */
        RUNNING,
        /** The function returned; {@link #result()} holds what it returned. */
        FINISHED,
        /** The function raised an error; {@link #error()} holds it. */
        FAILED,
        /** The thread stopped because it was cancelled. */
        CANCELLED
    }

    private static final CallbackType TYPE = CallbackType.of("void *(*)(void *userdata)");
    // (function pointer, userdata) -> result: the downcall that runs a thread, as native code would call it
    private static final MethodHandle CALL = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final AtomicLong COUNT = new AtomicLong();

    private final String name;
    private final Callback callback;
    private final MemorySegment userdata;
    private final Interruption cancellation; // null when not cancellable
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Status status = Status.RUNNING;
    private volatile LuaException error;
    private volatile long result;

    private LuaThread(Builder builder, byte[] chunk, boolean source, MemorySegment userdata, Object[] initArgs) {
        this.name = builder.name != null ? builder.name : "lua-thread-" + COUNT.incrementAndGet();
        if (!Objects.requireNonNull(userdata, "userdata (use MemorySegment.NULL for none)").isNative()) {
            throw new IllegalArgumentException("userdata must be a native segment, not " + userdata);
        }
        // only the address crosses, as in C: the thread may not be the segment's owner
        this.userdata = MemorySegment.ofAddress(userdata.address());
        this.cancellation = builder.cancellable ? new Interruption(true, "ljasync: thread " + name + " was cancelled")
                : null;
        Callback.Builder callbackBuilder = TYPE.builder().name(name).onError(e -> error = e)
                .withStateOptions(builder.stateOptions).adapter(LibraryChunks.THREAD).interruption(cancellation);
        this.callback = source ? callbackBuilder.create(new String(chunk, StandardCharsets.UTF_8), initArgs)
                : callbackBuilder.create(chunk, initArgs);
        try {
            if (builder.nativeThread) {
                NativeThreads.start(this::body);
            } else {
                Thread.ofPlatform().name(name).start(this::body);
            }
        } catch (RuntimeException | Error e) {
            callback.close();
            throw e;
        }
    }

    /**
     * Starts a platform thread: opens a state, runs the Lua source there with {@code initArgs} as {@code ...}, and
     * calls the function it returns with {@code userdata} (a pointer in Lua, as {@code ffi.cast} takes it).
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
     * A builder for a thread with a name, cancellation, or a native (pthread) thread.
     *
     * @return a new builder, set to what {@link #start(String, MemorySegment, Object...)} starts
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
         * (it ends the thread {@link Status#FAILED} with a {@link LuaException.Kind#EXIT} error by default), and
         * where its output goes ({@link LuaState.Builder#output(java.io.PrintStream)}: a last partial line reaches a
         * consumer of lines before {@link #join()} returns). The default is every library; see
         * {@link Callback.Builder#stateOptions(LuaState.Builder)} for what a sandbox keeps.
         *
         * @param options the state choices; later changes to it do not affect this builder
         * @return this builder
         */
        public Builder stateOptions(LuaState.Builder options) {
            this.stateOptions = Objects.requireNonNull(options, "options").options();
            return this;
        }

        /**
         * Starts the thread; see {@link LuaThread#start(String, MemorySegment, Object...)}.
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
            return new LuaThread(this, JavaValues.source(source), true, userdata, initArgs);
        }

        /**
         * Starts the thread from compiled bytecode; see {@link LuaThread#start(String, MemorySegment, Object...)}.
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
            return new LuaThread(this, bytecode.clone(), false, userdata, initArgs);
        }
    }

    /** The thread's body: one call through the function pointer, then the state is freed. */
    private void body() {
        try {
            // From here cancel() interrupts this thread; a cancel that came before is seen now, and the function
            // does not run at all.
            if (cancellation == null || cancellation.enter(0)) {
                MemorySegment returned = (MemorySegment) CALL.invokeExact(callback.funcptr(), userdata);
                result = returned.address();
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
                cancellation.leave();
            }
            status = error == null ? Status.FINISHED : cancelled ? Status.CANCELLED : Status.FAILED;
            try {
                callback.close();
            } finally {
                ended.countDown();
            }
        }
    }

    /**
     * Waits for the thread to end.
     *
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public void join() throws InterruptedException {
        ended.await();
    }

    /**
     * Waits at most {@code timeout} for the thread to end; {@link Duration#ZERO} only looks.
     *
     * @param timeout how long to wait at most
     * @return true when the thread has ended, false when the timeout passed first
     * @throws IllegalArgumentException when the timeout is negative
     * @throws InterruptedException     when the calling thread is interrupted while it waits
     */
    public boolean join(Duration timeout) throws InterruptedException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("a join timeout cannot be negative: " + timeout);
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return ended.await(nanos, TimeUnit.NANOSECONDS);
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
     * What the function returned: an integer, or the address of a pointer (0 for nothing or NULL).
     *
     * @return the result
     * @throws IllegalStateException while the thread runs, or when it failed or was cancelled (see {@link #error()})
     */
    public long result() {
        Status now = status;
        if (now != Status.FINISHED) {
            throw new IllegalStateException("thread " + name + " has no result: it is " + now
                    + (now == Status.RUNNING ? " (join it first)" : ""), error);
        }
        return result;
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
     * documentation). Does nothing once the thread has ended.
     *
     * @throws IllegalStateException when the thread was not started {@link Builder#cancellable(boolean) cancellable}
     */
    public void cancel() {
        if (cancellation == null) {
            throw new IllegalStateException("thread " + name + " was not started cancellable;"
                    + " use LuaThread.builder().cancellable(true)");
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
