package dev.ljasync;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SyncUpcalls;
import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Java side of ljasync.sync's executors ({@code sync.executor{...}}): the operations from
 * {@link LjAsync#EXECUTOR_OPS} on. An executor made from Lua is a {@link LuaExecutor} held by {@link LjAsync} under
 * a handle for the Lua object that owns it, its workers' states opened with the options of the state that made it;
 * each task's future is held the same way for its Lua future object. Arguments come as one message (a table of
 * them with its {@code n}), results go back as one message each, as a thread's do. Thread-safe.
 */
final class LjAsyncExecutors {

    // the operations (also written in ljasync.sync)
    private static final int EXECUTOR_NEW = LjAsync.EXECUTOR_OPS, EXECUTOR_SUBMIT = 67, EXECUTOR_STOP = 68,
            FUTURE_WAIT = 69, FUTURE_STATE = 70, FUTURE_RESULTS = 71, FUTURE_ERROR = 72, FUTURE_CANCEL = 73,
            EXECUTOR_RETAIN = 74;
    // what FUTURE_STATE answers
    private static final int RUNNING = 0, SUCCEEDED = 1, FAILED = 2, CANCELLED = 3;

    private LjAsyncExecutors() {}

    /**
     * An executor that Lua objects hold by its handle, in the state that made it and in any other that wrapped the
     * handle ({@code ex:handle()}, {@code sync.wrap}), and Java too when Java made it ({@link LuaExecutor#handle()})
     * until it shuts down. One made in Lua shuts down once the last of its Lua objects is collected; its queued tasks
     * still run, for futures held elsewhere.
     */
    static final class Held {
        final LuaExecutor executor;
        private final boolean madeInJava;
        private final AtomicInteger holders = new AtomicInteger(1); // the Lua object that made it, or Java

        Held(LuaExecutor executor, boolean madeInJava) {
            this.executor = executor;
            this.madeInJava = madeInJava;
        }

        /** Takes one more hold, unless the last one has gone. */
        boolean retain() {
            int n;
            do {
                n = holders.get();
                if (n <= 0) {
                    return false;
                }
            } while (!holders.compareAndSet(n, n + 1));
            return true;
        }

        /** Gives back one hold; the last one takes the handle away, and shuts down an executor made in Lua. */
        void release(long handle) {
            if (holders.decrementAndGet() == 0) {
                LjAsync.unhold(handle);
                if (!madeInJava) {
                    executor.shutdown();
                }
            }
        }
    }

    /** A handle for an executor that Java made, held for Java until it shuts down ({@link #release}). */
    static long share(LuaExecutor executor) {
        return LjAsync.hold(new Held(executor, true));
    }

    /** Java's hold on a shared executor that shut down. */
    static void release(long handle) {
        if (LjAsync.held(handle) instanceof Held held) {
            held.release(handle);
        }
    }

    static double call(int op, long handle, MemorySegment data, long size, double timeout) throws Exception {
        return switch (op) {
            case EXECUTOR_NEW -> newExecutor(LjAsync.message(data, size));
            case EXECUTOR_SUBMIT -> submit(LjAsync.object(handle, LuaExecutor.class), LjAsync.message(data, size));
            case EXECUTOR_STOP -> {
                LuaExecutor executor = LjAsync.object(handle, LuaExecutor.class);
                if (size == 0) {
                    executor.shutdown();
                } else {
                    executor.close(); // waits for the queued and running tasks
                }
                yield Shared.OK;
            }
            case FUTURE_WAIT -> {
                long nanos = SyncUpcalls.waitNanos(timeout);
                boolean done = waitFor(future(handle), Math.max(nanos, 0));
                yield done ? 1 : nanos < 0 ? -Shared.PINNED : 0; // see SyncUpcalls.waitNanos
            }
            case FUTURE_STATE -> state(future(handle));
            case FUTURE_RESULTS -> {
                List<byte[]> messages = new ArrayList<>();
                for (Object result : future(handle).join()) {
                    try {
                        messages.add(Messages.encode(result));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("result " + (messages.size() + 1) + " of the task cannot"
                                + " come back: " + e.getMessage(), e);
                    }
                }
                yield LjAsync.messages(messages, data, size);
            }
            case FUTURE_ERROR -> LjAsync.text(error(future(handle)), data, size);
            case FUTURE_CANCEL -> future(handle).cancel(true) ? 1 : 0;
            case EXECUTOR_RETAIN -> LjAsync.held(handle) instanceof Held held && held.retain() ? 1 : 0;
            default -> throw new IllegalArgumentException("ljasync.sync asked for unknown operation " + op);
        };
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<List<Object>> future(long handle) {
        return LjAsync.object(handle, CompletableFuture.class);
    }

    /** {workers, setup, reset_globals, cancellable, state} -> the executor's handle. */
    private static double newExecutor(LuaTable message) {
        LuaExecutor.Builder builder = LuaExecutor.builder().withStateOptions(LjAsync.optionsOf(message))
                .workers(((Number) message.get("workers")).intValue())
                .resetGlobals(Boolean.TRUE.equals(message.get("reset_globals")))
                .cancellable(Boolean.TRUE.equals(message.get("cancellable")));
        if (message.get("setup") != null) {
            builder.setup(text(message.get("setup")));
        }
        return LjAsync.hold(new Held(builder.build(), false));
    }

    /** {source or call, args = {n = count, ...}} -> the future's handle. */
    private static double submit(LuaExecutor executor, LuaTable message) {
        LuaTable given = (LuaTable) message.get("args");
        Object[] args = new Object[((Number) given.get("n")).intValue()];
        for (int i = 0; i < args.length; i++) {
            args[i] = given.get((long) i + 1);
        }
        Object source = message.get("source");
        return LjAsync.hold(source != null ? executor.submit(text(source), args)
                : executor.call(text(message.get("call")), args));
    }

    private static String text(Object text) {
        return new String(LjAsync.bytes(text), StandardCharsets.UTF_8);
    }

    private static boolean waitFor(CompletableFuture<?> future, long nanos) throws InterruptedException {
        try {
            future.get(nanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CancellationException e) {
            // done all the same: its state says how
        } catch (TimeoutException e) {
            return false;
        }
        return true;
    }

    private static int state(CompletableFuture<?> future) {
        return !future.isDone() ? RUNNING : future.isCancelled() ? CANCELLED
                : future.isCompletedExceptionally() ? FAILED : SUCCEEDED;
    }

    /** A failed task's error: a Lua error's message and traceback, or the Java failure; "" for none. */
    private static String error(CompletableFuture<?> future) {
        if (state(future) != FAILED) {
            return "";
        }
        Throwable failure = future.exceptionNow();
        return failure instanceof LuaException lua ? lua.getMessage() : failure.toString();
    }
}
