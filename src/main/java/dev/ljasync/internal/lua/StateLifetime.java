package dev.ljasync.internal.lua;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.ToIntBiFunction;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * What one {@code LuaState} must free, and frees exactly once: its {@code lua_State}, the arena of its upcall stubs,
 * and the registry references of the Java objects it handed out and that were dropped. Freed by {@link #free()}, or
 * by a {@link Cleaner} once the state's Java object is unreachable. Nothing here leads back to that object, or it
 * would never become unreachable: the upcall stubs, which are GC roots until their arena closes, reach it only
 * weakly ({@link #cfunction}).
 *
 * <p>A dropped reference is not freed by the cleaner thread: {@code luaL_unref} changes the state, which only the
 * thread holding it may do (LuaJIT issue 1317 is a crash from a finalizer thread touching a state). It waits in a
 * queue until a thread holding the state calls {@link #freeDropped}.
 *
 * <p>The frames of typed handles (the memory a handle's Lua entry reads its arguments from) live as long as the
 * state and are used again once their handle's reference is freed, rather than freed: Lua code that reached an
 * entry through the registry and kept it then writes into another handle's frame, never into freed memory.
 */
public final class StateLifetime implements Runnable {

    // lua_close runs the state's __gc finalizers, which are Lua code: a thread of their own, so that one that never
    // ends holds up the freeing of states, not the quick actions of dropped references
    private static final Cleaner STATES = Cleaner.create(Thread.ofPlatform().daemon().name("ljasync-state-cleaner")
            .factory());
    private static final Cleaner REFERENCES = Cleaner.create(Thread.ofPlatform().daemon()
            .name("ljasync-reference-cleaner").factory());

    /** A registry reference to free, and the frame its Lua value points into, free once the reference is. */
    private record Dropped(int ref, MemorySegment frame) {}

    private final Queue<Dropped> dropped = new ConcurrentLinkedQueue<>();
    private final Arena frames = Arena.ofAuto();
    private final Map<Long, ArrayDeque<MemorySegment>> freeFrames = new HashMap<>();
    // volatile: written by the thread making or using the state, read by the cleaner's
    private volatile MemorySegment state = MemorySegment.NULL;
    private volatile MemoryLimit limit;
    private volatile Arena stubs;
    private Cleaner.Cleanable cleanable;
    private volatile boolean freed;
    private final Queue<Runnable> afterClose = new ConcurrentLinkedQueue<>();

    /**
     * Makes this object free {@code L}, whose allocator is {@code limit} (or null: none). Called once, by the thread
     * making the state.
     */
    public void own(MemorySegment L, MemoryLimit limit) {
        this.limit = limit;
        state = L;
    }

    /**
     * The arena for the state's upcall stubs, made when first needed (closing a shared arena costs a handshake).
     * Called by the thread holding the state.
     */
    public Arena stubs() {
        if (stubs == null) {
            stubs = Arena.ofShared();
        }
        return stubs;
    }

    /**
     * A lua_CFunction upcall stub running {@code body} on {@code target}, which it holds only weakly. While Lua code
     * of the state runs, its caller holds the state, so {@code target} is there; the stub finds it gone only in the
     * finalizers that {@code lua_close} runs once the state was collected, and returns no results then.
     */
    public <T> MemorySegment cfunction(T target, ToIntBiFunction<T, MemorySegment> body) {
        WeakReference<T> weak = new WeakReference<>(target);
        return LuaNative.cfunction(L -> {
            T t = weak.get();
            return t == null ? 0 : body.applyAsInt(t, L);
        }, stubs());
    }

    /**
     * Runs {@code action} once {@code lua_close} has returned (its finalizers may still need what the action
     * frees), whoever closes the state; in the order given. Like everything here, the action must not lead back to
     * the state's Java object. What it throws is ignored. Called by the thread making the state.
     */
    public void afterClose(Runnable action) {
        afterClose.add(action);
    }

    /** Frees the state once {@code owner}, the state's Java object, is unreachable (if not freed before). */
    public void freeWhenUnreachable(Object owner) {
        cleanable = STATES.register(owner, this);
    }

    /**
     * A frame of {@code size} bytes, 8-aligned and zeroed, that lives as long as this object: a free one of that
     * size, or a new one. Called by the thread holding the state.
     */
    public MemorySegment frame(long size) {
        ArrayDeque<MemorySegment> free = freeFrames.get(size);
        MemorySegment frame = free == null ? null : free.poll();
        return frame != null ? frame.fill((byte) 0) : frames.allocate(size, 8);
    }

    /** Takes back a frame from {@link #frame} that nothing uses any more. Called by the thread holding the state. */
    public void reuse(MemorySegment frame) {
        freeFrames.computeIfAbsent(frame.byteSize(), size -> new ArrayDeque<>()).add(frame);
    }

    /**
     * Queues registry reference {@code ref} of the state to be freed once {@code owner} is unreachable, and
     * {@code frame} (from {@link #frame}, or null) to be used again after it. Cleaning the returned cleanable
     * queues them at once (an explicit close); either way, the next thread to hold the state frees them.
     */
    public Cleaner.Cleanable unrefWhenUnreachable(Object owner, int ref, MemorySegment frame) {
        return REFERENCES.register(owner, () -> {
            if (!freed) {
                dropped.add(new Dropped(ref, frame));
            }
        });
    }

    /**
     * Frees the references dropped so far ({@code luaL_unref}). Called by the thread holding the open state, on a
     * stack with a free slot ({@code L} may be a coroutine of the state: the registry is the same).
     */
    public void freeDropped(MemorySegment L) {
        if (dropped.isEmpty()) {
            return;
        }
        boolean paused = gcPause(L); // the first unref may add the registry's free-list key, an allocation
        try {
            Dropped next;
            while ((next = dropped.poll()) != null) {
                registryUnref(L, next.ref());
                if (next.frame() != null) {
                    reuse(next.frame());
                }
            }
        } finally {
            gcResume(L, paused);
        }
    }

    /**
     * Closes the state ({@code lua_close}) and then the stubs' arena, once: the first call does it, later ones do
     * nothing. Called by the thread holding the state, or by the cleaner when nothing can reach the state any more.
     */
    public void free() {
        if (cleanable != null) {
            cleanable.clean(); // runs run() unless the cleaner has
        } else {
            run();
        }
    }

    /** The cleaning action; use {@link #free()}. */
    @Override
    public void run() {
        if (freed) {
            return;
        }
        freed = true;
        dropped.clear();
        if (!state.equals(MemorySegment.NULL)) {
            if (limit != null) {
                limit.enforce(true); // the __gc finalizers lua_close runs stay within the limit: it catches errors
            }
            lua_close(state); // finalizers may still call the stubs (the allocator above all): close them after
            for (Runnable action : afterClose) {
                try {
                    action.run();
                } catch (Throwable ignored) {
                    // the state is gone: nothing is left to report to, and the stubs must still be freed
                }
            }
        }
        if (stubs != null) {
            stubs.close();
        }
    }
}
