package dev.ljasync;

import dev.ljasync.internal.events.ThreadCancel;
import dev.ljasync.internal.lua.Interruption;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * The future of a {@link LuaThread}'s results, completed by the thread as it ends. Cancelling it cancels the thread
 * when the thread is cancellable; otherwise {@link #cancel} does nothing and returns false.
 */
final class ThreadFuture extends CompletableFuture<List<Object>> {

    private final Interruption cancellation; // null when the thread is not cancellable
    private final String name; // the thread's, for the flight recorder's ThreadCancel

    ThreadFuture(Interruption cancellation, String name) {
        this.cancellation = cancellation;
        this.name = name;
    }

    /**
     * Cancels the thread, when it was started cancellable and has not ended, and this future at once (the thread
     * stops soon after); does nothing for a thread that cannot be cancelled.
     *
     * @param mayInterruptIfRunning ignored: a cancelled thread always stops, wherever its Lua code is
     * @return whether this future is cancelled by this call
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (cancellation == null || isDone()) {
            return false;
        }
        ThreadCancel.emit(name);
        cancellation.raise();
        return super.cancel(mayInterruptIfRunning);
    }

    /** Completes this future as the thread ended; a future cancelled already stays so. */
    void end(LuaThread.Status status, List<Object> results, LuaException error) {
        switch (status) {
            case FINISHED -> complete(results);
            case CANCELLED -> {
                CancellationException cancelled = new CancellationException(error.getMessage());
                cancelled.initCause(error);
                completeExceptionally(cancelled);
            }
            default -> completeExceptionally(error);
        }
    }
}
