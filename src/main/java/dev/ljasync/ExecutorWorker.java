package dev.ljasync;

import dev.ljasync.internal.lua.Interruption;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * One worker of a {@link LuaExecutor}: a platform thread that takes tasks from the executor's queue and runs them,
 * Lua tasks in its own state, which ran the setup chunk once. Only the worker's thread uses the state once it runs.
 *
 * <p>A cancellable worker's state answers to a sticky {@link Interruption}, as a cancellable {@link LuaThread}'s
 * does: a cancel raised for a task stays raised whenever it comes, so none is lost between the task's start and its
 * call into Lua; the state, which can run nothing more, is then replaced by a new one that runs the setup again.
 */
final class ExecutorWorker implements Runnable {

    /**
     * What each state runs before the setup chunk: a function that snapshots the globals and returns their reset.
     * The reset is one pass over the globals (next is not compiled by LuaJIT 2.1's JIT), and a second one over the
     * snapshot only when a task removed some of its globals.
     */
    private static final String SNAPSHOT = """
            local next, rawget, rawset, G = next, rawget, rawset, _G
            return function()
              local kept, count = {}, 0
              for k, v in next, G do kept[k], count = v, count + 1 end
              return function()
                local present = 0
                for k, v in next, G do
                  local old = kept[k]
                  if old ~= v then rawset(G, k, old) end -- an existing field: changing it keeps the traversal valid
                  if old ~= nil then present = present + 1 end
                end
                if present < count then
                  for k, v in next, kept do
                    if rawget(G, k) == nil then rawset(G, k, v) end
                  end
                end
              end
            end""";

    /** Opens a worker's state with the executor's choices; tells the state whether it is cancellable. */
    record Setup(LuaState.Options options, String source, Object[] args, boolean cancellable, boolean reset) {}

    /** How long a worker that has run a task looks at the queue before it sleeps (nanoseconds). */
    private static final long SPIN_NANOS = 50_000;

    private final Setup setup;
    private final BlockingQueue<Runnable> queue;
    private final Runnable stop;
    private final CountDownLatch ended;
    final Thread thread;
    // used by this worker's thread only, once it runs; the state is null when opening a new one failed
    private LuaState state;
    private Interruption cancellation;
    private LuaValue reset;
    private volatile Runnable current;
    private volatile boolean stopping;

    /** Opens the worker's state on the calling thread (so that a failing setup fails the executor's build). */
    ExecutorWorker(Setup setup, BlockingQueue<Runnable> queue, Runnable stop, CountDownLatch ended, String name) {
        this.setup = setup;
        this.queue = queue;
        this.stop = stop;
        this.ended = ended;
        open();
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    /** Opens the state and runs the setup chunk in it; leaves the fields as they were when that fails. */
    private void open() {
        Interruption interruption = setup.cancellable()
                ? new Interruption(true, "ljasync: the task was cancelled") : null;
        LuaState opened = LuaState.open(setup.options(), LuaState.forLibrary(setup.options().libraries()),
                interruption);
        try {
            LuaValue snapshot = setup.reset() ? (LuaValue) opened.run(SNAPSHOT, "=ljasync.reset")[0] : null;
            if (setup.source() != null) {
                opened.run(setup.source(), "setup", setup.args());
            }
            reset = snapshot != null ? (LuaValue) snapshot.call()[0] : null;
        } catch (RuntimeException | Error e) {
            opened.close();
            throw e;
        }
        state = opened;
        cancellation = interruption;
    }

    @Override
    public void run() {
        try {
            for (Runnable task = take(); task != stop; task = take()) {
                current = task;
                if (!stopping) {
                    Thread.interrupted(); // an interrupt meant for the task before (a cancelled FutureTask)
                }
                if (task instanceof LuaTask lua) {
                    if (stopping) {
                        lua.cancel(true); // taken as shutdownNow came, which may have missed it
                    }
                    runLua(lua);
                } else {
                    runJava(task);
                }
                current = null;
            }
        } finally {
            try {
                if (state != null) {
                    state.close();
                }
            } finally {
                ended.countDown();
            }
        }
    }

    private Runnable take() {
        // A worker that has just run a task looks at the queue a while before it sleeps: a task submitted meanwhile
        // (the next of a caller that waited for the last one's result) then starts without a wake-up, which costs
        // tens of microseconds here, most of a short task's latency
        long start = System.nanoTime();
        do {
            Runnable task = queue.poll();
            if (task != null) {
                return task;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - start < SPIN_NANOS);
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // shutdownNow interrupts every worker; the queue then ends with this worker's stop
            }
        }
    }

    private void runLua(LuaTask task) {
        if (state == null) {
            try {
                open();
            } catch (RuntimeException | Error e) {
                task.completeExceptionally(e);
                return;
            }
        }
        if (!task.start(cancellation)) {
            return;
        }
        try {
            var results = task.runIn(state);
            if (task.end()) {
                task.complete(results);
            }
        } catch (Throwable t) {
            if (task.end()) {
                task.completeExceptionally(t); // else the cancel completes it, cancelled, not failed by its error
            }
        }
        if (cancellation != null && cancellation.isRaised()) {
            replaceState();
        } else if (reset != null) {
            try {
                reset.call();
            } catch (RuntimeException | Error e) {
                replaceState(); // a reset that failed (out of memory) leaves the globals unknown
            }
        }
    }

    /** Closes the state and opens a new one; the next Lua task opens it when that fails now. */
    private void replaceState() {
        state.close();
        state = null;
        try {
            open();
        } catch (RuntimeException | Error e) {
            // the next Lua task tries again and fails with the error if it persists
        }
    }

    /** A Java task (execute, or a FutureTask of submit): what it throws goes to the thread's handler. */
    private void runJava(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            try {
                Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
            } catch (Throwable ignored) {
                // a handler that throws does not end the worker either
            }
        }
    }

    /** Closes the state of a worker that never started (another worker's setup failed). */
    void closeUnstarted() {
        state.close();
    }

    /** shutdownNow: cancels the Lua task running (if the state is cancellable) and interrupts a Java one. */
    void stopNow() {
        stopping = true;
        if (current instanceof LuaTask lua) {
            lua.cancel(true);
        }
        thread.interrupt();
    }
}
