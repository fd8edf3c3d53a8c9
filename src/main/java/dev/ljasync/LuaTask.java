package dev.ljasync;

import dev.ljasync.internal.lua.Interruption;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * A Lua task of a {@link LuaExecutor}: a chunk to run or a function to call, its arguments, and the future of its
 * results, completed by the worker that runs it. Cancelling the future takes a task that has not started out of the
 * executor's hands, and stops a running one through the interruption of its worker's state, when there is one.
 * Thread-safe.
 */
final class LuaTask extends CompletableFuture<List<Object>> implements Runnable {

    /** The chunk name of submitted source, in errors and tracebacks. */
    static final String CHUNK_NAME = "task";

    private final Object chunk; // source (a String) or bytes to run, or null for a call of function
    private final String chunkName;
    private final String function;
    private final Object[] args;
    // guarded by this: the task runs from start to end; its cancellation stops it through running. cancelled is
    // set before the future is cancelled, outside the lock (where its dependent stages run): a start in between
    // must not run the task.
    private boolean cancelled;
    private boolean started;
    private boolean ended;
    private Interruption running; // null when the worker's state cannot be interrupted

    private LuaTask(Object chunk, String chunkName, String function, Object[] args) {
        this.chunk = chunk;
        this.chunkName = chunkName;
        this.function = function;
        this.args = args.clone(); // the caller may reuse its array before a worker takes the task
    }

    static LuaTask chunk(String source, Object[] args) {
        return new LuaTask(source, CHUNK_NAME, null, args);
    }

    /** A chunk given as bytes (bytecode or source text), copied: the caller may reuse its array. */
    static LuaTask chunk(byte[] chunk, String chunkName, Object[] args) {
        return new LuaTask(chunk.clone(), chunkName, null, args);
    }

    static LuaTask call(String function, Object[] args) {
        return new LuaTask(null, null, function, args);
    }

    /**
     * A worker starts the task in a state that {@code interruption} stops (null for none).
     *
     * @return false when the task was cancelled first: it does not run
     */
    synchronized boolean start(Interruption interruption) {
        if (cancelled || isDone()) {
            return false;
        }
        started = true;
        running = interruption;
        return true;
    }

    /** Runs the task in the worker's state; between {@link #start} and {@link #end}. */
    List<Object> runIn(LuaState state) {
        Object[] results = chunk instanceof String source ? state.run(source, chunkName, args)
                : chunk instanceof byte[] bytes ? state.run(bytes, chunkName, args)
                : state.call(function, args);
        return Collections.unmodifiableList(Arrays.asList(results));
    }

    /**
     * The task's Lua code has returned: a cancel from now on no longer reaches the state.
     *
     * @return whether the worker completes the future: false once cancelled, whose cancel completes it
     */
    synchronized boolean end() {
        ended = true;
        running = null;
        return !cancelled;
    }

    /**
     * Cancels the task: one waiting in the queue never runs, and a running one is stopped soon after when its
     * executor is cancellable (its future is cancelled at once); a running task of an executor that is not
     * cancellable goes on, and this returns false.
     *
     * @param mayInterruptIfRunning ignored: a cancelled task of a cancellable executor always stops
     * @return whether this future is cancelled by this call
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        synchronized (this) {
            if (cancelled || isDone() || (started && !ended && running == null)) {
                return false;
            }
            cancelled = true;
            if (started && !ended) {
                running.raise(); // the worker replaces the state once the task has ended
            }
        }
        return super.cancel(mayInterruptIfRunning);
    }

    /**
     * What {@link LuaExecutor#shutdownNow()} returns stands for a task that never ran: a Lua task runs only on a
     * worker, so this fails the future of a task that is not done (it is cancelled already when it comes from there).
     */
    @Override
    public void run() {
        completeExceptionally(new RejectedExecutionException("a Lua task runs only on a worker of its LuaExecutor"));
    }

    @Override
    public String toString() {
        return "LuaTask[" + (chunk != null ? "chunk " + chunkName : "call of " + function) + ", "
                + (isCancelled() ? "cancelled" : isDone() ? "done" : started ? "running" : "queued") + "]";
    }
}
