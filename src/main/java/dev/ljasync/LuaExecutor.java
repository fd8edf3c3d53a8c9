package dev.ljasync;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link java.util.concurrent.ExecutorService} of warm Lua states: a fixed number of platform threads (workers),
 * each with a {@code lua_State} of its own that ran a setup chunk once, taking Lua tasks from one queue and
 * completing their futures with the results. Starting a {@link LuaThread} makes a state each time; a task here
 * reuses one. Thread-safe.
 *
 * <pre>{@code
 * try (LuaExecutor lua = LuaExecutor.builder().workers(2)
 *         .setup("function add(a, b) return a + b end").build()) {
 *     CompletableFuture<List<Object>> sum = lua.call("add", 2, 3);        // a function of the setup
 *     CompletableFuture<List<Object>> product = lua.submit("local a, b = ... return a * b", 6, 7);
 *     System.out.println(sum.get(5, TimeUnit.SECONDS) + " " + product.get(5, TimeUnit.SECONDS)); // [5] [42]
 * }
 * }</pre>
 *
 * <h2>Tasks</h2>
 * {@link #submit(String, Object...)} runs Lua source as a chunk named "task" with the arguments as its {@code ...};
 * {@link #submit(byte[], String, Object...)} runs bytecode (or source as bytes) under a name of its own;
 * {@link #call(String, Object...)} calls a function by its global or dotted name, as {@link LuaState#call} does.
 * Arguments and results convert by the one rule of {@link LuaState} (a table comes back as a {@link LuaTable} copy,
 * a function as a {@link LuaValue} reference into the worker's state, valid while that state lives). A Lua error
 * fails the future with the {@link LuaException}, with its chunk, line and traceback; so does {@code os.exit}
 * ({@link LuaException.Kind#EXIT}, unless the state options let it end the process), an error past the states'
 * memory limit ({@link LuaException.Kind#MEMORY}), and an argument with no Lua value (an
 * {@link IllegalArgumentException}). The worker and its state go on to the next task either way. The future
 * completes on the worker, and its dependent stages that are not async run there before the worker takes its next
 * task: keep them short, or use the {@code ...Async} methods.
 *
 * <p>Java tasks ({@link #execute}, {@code submit} of a {@code Runnable} or {@code Callable}, {@code invokeAll},
 * {@code invokeAny}) run on the workers too, in the order of the one queue, as on any executor; what a task given
 * to {@code execute} throws goes to the worker thread's uncaught exception handler, and the worker lives on.
 *
 * <h2>State left behind</h2>
 * A worker's state is reused: the globals one task sets are there for the next task that worker runs (which may be
 * any task). Keep tasks to locals, or build the executor with {@link Builder#resetGlobals(boolean)}: after each Lua
 * task the globals table gets back the entries it had after the setup (globals added since are removed, those
 * changed or removed are set back). That costs a pass over the globals (about 2 us a task in a quick benchmark run
 * on a busy machine), and is shallow: what tasks change inside tables ({@code string.x = 1},
 * {@code package.loaded}, a table of the setup's) and the globals' metatable stay changed.
 *
 * <h2>Cancellation and shutdown</h2>
 * Cancelling a task's future takes a task still queued out of the queue's way: it never runs. A running Lua task
 * stops only on an executor built {@link Builder#cancellable(boolean) cancellable}: its future is cancelled at
 * once, and its Lua code stops within milliseconds wherever it is (an endless loop, a wait in {@code ljasync.sync}),
 * as a cancellable {@link LuaThread} does and with the same costs and limits (no JIT compiler; a native call that
 * blocks is not stopped). A cancelled state cannot run Lua code again, so the worker closes it and opens a new one,
 * which runs the setup again. On an executor that is not cancellable, cancelling the future of a running Lua task
 * does nothing and returns false. A time limit for every task is the state options' one
 * ({@link LuaState.Builder#timeLimit(java.time.Duration)}): a task past it fails with a
 * {@link LuaException.Kind#CANCELLED} error, cancellable or not.
 *
 * <p>{@link #shutdown()} takes no new tasks (they are rejected with a {@link RejectedExecutionException}) and lets
 * the queued ones run; {@link #shutdownNow()} also takes the queued tasks out and returns them (Java tasks as they
 * were queued, so they can be run elsewhere; Lua tasks with their futures cancelled, since they run only on a
 * worker), cancels the running Lua tasks (on a cancellable executor) and interrupts the workers. Each worker closes
 * its state as it ends; {@link #awaitTermination} waits for all of them, and {@link #close()} shuts down and waits.
 * The workers are daemon threads: an executor left running does not keep the JVM alive, and a task that never ends
 * on an executor that is not cancellable keeps its worker but not the process.
 */
public final class LuaExecutor extends AbstractExecutorService {

    private static final AtomicLong COUNT = new AtomicLong();
    // The last task of each worker's queue, put there by shutdown: a worker that takes it ends
    private static final Runnable STOP = () -> {};

    private final String name;
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final List<ExecutorWorker> workers;
    private final CountDownLatch terminated;
    private final Object lifecycle = new Object(); // makes a submission and shutdown one before the other
    private volatile boolean shutdown;
    private long handle; // the handle Lua code reaches it by, once asked for (under lifecycle)

    private LuaExecutor(Builder builder) {
        this.name = builder.name != null ? builder.name : "lua-executor-" + COUNT.incrementAndGet();
        this.terminated = new CountDownLatch(builder.workers);
        ExecutorWorker.Setup setup = new ExecutorWorker.Setup(builder.stateOptions, builder.setup, builder.setupArgs,
                builder.cancellable, builder.resetGlobals);
        List<ExecutorWorker> made = new ArrayList<>();
        try {
            for (int i = 0; i < builder.workers; i++) {
                made.add(new ExecutorWorker(setup, queue, STOP, terminated, name + "-" + (i + 1)));
            }
        } catch (RuntimeException | Error e) {
            made.forEach(ExecutorWorker::closeUnstarted);
            throw e;
        }
        this.workers = List.copyOf(made);
        workers.forEach(worker -> worker.thread.start());
    }

    /**
     * A builder of an executor with a number of workers, a setup chunk, state options and cancellation.
     *
     * @return a new builder, set to one worker, no setup, every library, not cancellable, no reset
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Chooses what a new {@link LuaExecutor} has. Not thread-safe; each {@link #build()} makes a new executor. */
    public static final class Builder {
        private String name;
        private int workers = 1;
        private String setup;
        private Object[] setupArgs = new Object[0];
        private LuaState.Options stateOptions = LuaState.builder().options();
        private boolean cancellable;
        private boolean resetGlobals;

        private Builder() {}

        /**
         * The executor's name, which its worker threads' names begin with ("name-1", ...); default
         * "lua-executor-N".
         *
         * @param name the name
         * @return this builder
         * @throws IllegalArgumentException when {@code name} is null or empty
         */
        public Builder name(String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("an executor name must not be empty");
            }
            this.name = name;
            return this;
        }

        /**
         * How many workers (threads, each with a state) run tasks; default 1.
         *
         * @param count the number of workers, at least 1
         * @return this builder
         * @throws IllegalArgumentException when {@code count} is below 1
         */
        public Builder workers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("an executor needs at least one worker, not " + count);
            }
            this.workers = count;
            return this;
        }

        /**
         * Lua source that each worker's state runs once, before any task (again in a state that replaces a
         * cancelled one): the place to define the functions that {@link LuaExecutor#call} calls. Its errors name
         * the chunk "setup".
         *
         * @param source the Lua source
         * @param args   the chunk's {@code ...}, converted anew for each state
         * @return this builder
         */
        public Builder setup(String source, Object... args) {
            this.setup = Objects.requireNonNull(source, "source");
            this.setupArgs = args.clone();
            return this;
        }

        /**
         * Opens each worker's state with the choices of a {@link LuaState.Builder}, taken now: its libraries,
         * memory limit, time limit for each task, output, modules, and whether {@code os.exit} ends the process; see
         * {@link LuaThread.Builder#stateOptions(LuaState.Builder)}. The default is every library.
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
         * Whether a running Lua task stops when its future is cancelled or {@link LuaExecutor#shutdownNow()} comes;
         * costs the JIT compiler (see "Cancellation and shutdown" in the class documentation).
         *
         * @param cancellable whether running tasks can be cancelled; off by default
         * @return this builder
         */
        public Builder cancellable(boolean cancellable) {
            this.cancellable = cancellable;
            return this;
        }

        /**
         * Whether the globals table is set back after each Lua task to what it held after the setup; shallow (see
         * "State left behind" in the class documentation).
         *
         * @param reset whether to reset the globals after each task; off by default
         * @return this builder
         */
        public Builder resetGlobals(boolean reset) {
            this.resetGlobals = reset;
            return this;
        }

        /**
         * Opens the workers' states, runs the setup in each, and starts the workers.
         *
         * @return the running executor
         * @throws LuaException             when the setup chunk does not compile or fails (no worker is started)
         * @throws IllegalArgumentException when a setup argument has no Lua value
         * @throws IllegalStateException    when LuaJIT cannot make a state
         */
        public LuaExecutor build() {
            return new LuaExecutor(this);
        }
    }

    /**
     * Runs Lua source as a chunk (named "task") in a worker's state, with {@code args} as its {@code ...}.
     *
     * @param source the Lua source
     * @param args   the chunk's {@code ...}, converted by the one rule on the worker
     * @return the future of the chunk's results (an unmodifiable list, with null for nil), failed with the
     *         {@link LuaException} of an error
     * @throws RejectedExecutionException after {@link #shutdown()}
     */
    public CompletableFuture<List<Object>> submit(String source, Object... args) {
        return enqueue(LuaTask.chunk(Objects.requireNonNull(source, "source"), args));
    }

    /**
     * Runs a chunk given as bytes in a worker's state: LuaJIT bytecode (as {@link LuaState#compile} makes it, so
     * that a task sent many times is compiled once) or source text, as {@link LuaState#run(byte[], String, Object...)}
     * runs it, and with its warning: for trusted code only, since LuaJIT does not verify bytecode.
     *
     * @param chunk     the bytecode or source text; copied, so the array may be reused at once
     * @param chunkName the name errors and tracebacks show
     * @param args      the chunk's {@code ...}, converted by the one rule on the worker
     * @return the future of the chunk's results (an unmodifiable list, with null for nil), failed with the
     *         {@link LuaException} of an error
     * @throws RejectedExecutionException after {@link #shutdown()}
     */
    public CompletableFuture<List<Object>> submit(byte[] chunk, String chunkName, Object... args) {
        return enqueue(LuaTask.chunk(Objects.requireNonNull(chunk, "chunk"),
                Objects.requireNonNull(chunkName, "chunkName"), args));
    }

    /**
     * Calls a Lua function of a worker's state by its global or dotted name (one the setup defined, say), as
     * {@link LuaState#call(String, Object...)} does.
     *
     * @param function the function's name
     * @param args     the arguments, converted by the one rule on the worker
     * @return the future of the function's results (an unmodifiable list, with null for nil), failed with the
     *         {@link LuaException} of an error (a name that is not callable, too)
     * @throws RejectedExecutionException after {@link #shutdown()}
     */
    public CompletableFuture<List<Object>> call(String function, Object... args) {
        return enqueue(LuaTask.call(Objects.requireNonNull(function, "function"), args));
    }

    private LuaTask enqueue(LuaTask task) {
        execute(task);
        return task;
    }

    /**
     * Runs a Java task on a worker.
     *
     * @param command the task
     * @throws RejectedExecutionException after {@link #shutdown()}
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        synchronized (lifecycle) {
            if (shutdown) {
                throw new RejectedExecutionException("executor " + name + " is shut down: it takes no new tasks");
            }
            queue.add(command);
        }
    }

    /**
     * The handle by which Lua code in any state reaches this executor: ljasync.sync's {@code sync.wrap(handle)}
     * gives an executor object there ({@code ex:submit(source, ...)}, {@code ex:call(name, ...)} with futures, as
     * {@code sync.executor} makes). Those objects do not keep it running: it ends as Java shuts it down, after which
     * their tasks are refused, and a Lua object may shut it down as well.
     *
     * @return the handle, a positive integer exact as a Lua number
     * @throws IllegalStateException once shut down
     */
    public long handle() {
        synchronized (lifecycle) {
            if (shutdown) {
                throw new IllegalStateException("this executor is shut down");
            }
            if (handle == 0) {
                handle = LjAsyncExecutors.share(this);
            }
            return handle;
        }
    }

    /** Takes no new tasks; the queued ones still run, then the workers close their states and end. Harmless twice. */
    @Override
    public void shutdown() {
        long shared = 0;
        synchronized (lifecycle) {
            if (!shutdown) {
                shutdown = true;
                workers.forEach(worker -> queue.add(STOP));
                shared = handle;
            }
        }
        if (shared != 0) {
            LjAsyncExecutors.release(shared); // Java's hold; Lua objects of it may still hold the handle
        }
    }

    /**
     * Shuts down, takes the queued tasks out, cancels the running Lua tasks (when the executor is
     * {@link Builder#cancellable(boolean) cancellable}) and interrupts the workers.
     *
     * @return the tasks that never started: Java tasks as they were queued, Lua tasks as Runnables whose futures
     *         are cancelled
     */
    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> never = new ArrayList<>();
        synchronized (lifecycle) {
            shutdown();
            List<Runnable> queued = new ArrayList<>();
            queue.drainTo(queued);
            for (Runnable task : queued) {
                if (task == STOP) {
                    queue.add(STOP);
                } else {
                    if (task instanceof LuaTask lua) {
                        lua.cancel(true);
                    }
                    never.add(task);
                }
            }
        }
        workers.forEach(ExecutorWorker::stopNow);
        return never;
    }

    /**
     * Whether {@link #shutdown()} or {@link #shutdownNow()} has been called.
     *
     * @return true once shut down
     */
    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    /**
     * Whether every worker has ended (and closed its state) after a shutdown.
     *
     * @return true once terminated
     */
    @Override
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /**
     * Waits for every worker to end after a shutdown.
     *
     * @param timeout how long to wait at most
     * @param unit    the unit of {@code timeout}
     * @return true when terminated, false when the timeout passed first
     * @throws InterruptedException  when the calling thread is interrupted while it waits
     * @throws IllegalStateException when called on a worker, which would wait for itself
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        refuseOnWorker("awaitTermination");
        return terminated.await(timeout, unit);
    }

    /**
     * Shuts down and waits for the queued and running tasks to end, as {@link java.util.concurrent.ExecutorService}
     * does; an interrupt while waiting calls {@link #shutdownNow()}. A task that never ends on an executor that is
     * not cancellable makes this wait forever: call {@link #shutdownNow()} on a cancellable one.
     *
     * @throws IllegalStateException when called on a worker, which would wait for itself
     */
    @Override
    public void close() {
        refuseOnWorker("close");
        super.close();
    }

    private void refuseOnWorker(String method) {
        for (ExecutorWorker worker : workers) {
            if (worker.thread == Thread.currentThread()) {
                throw new IllegalStateException(method + " called by a task of executor " + name
                        + " would wait for its own worker forever");
            }
        }
    }

    @Override
    public String toString() {
        return "LuaExecutor[" + name + ", " + workers.size() + " workers, "
                + (isTerminated() ? "terminated" : shutdown ? "shut down" : "running") + "]";
    }
}
