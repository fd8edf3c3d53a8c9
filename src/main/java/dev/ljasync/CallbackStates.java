package dev.ljasync;

import dev.ljasync.internal.events.CallbackError;
import dev.ljasync.internal.events.CallbackRefused;
import dev.ljasync.internal.events.StateWait;
import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.sync.Ownership;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The states of one {@link Callback} and the per-call path: the upcall stub's method handle is bound to this object
 * (see {@link CallbackType.Frame#upcall}). A call claims a free state with one compare-and-set, runs it, and releases
 * it; nothing on that path allocates.
 */
final class CallbackStates {

    /** A slot's owner word holds the id of the thread that holds it, FREE, or CLOSED (no thread has id -1). */
    private static final long CLOSED = -1;
    /**
     * Each slot's owner word and frame share a block of their own: two cache lines, so that threads running two
     * states of a pool never write to the same line (nor to the line next to it, which x86 fetches in pairs).
     */
    private static final long BLOCK = 128;
    /** A slot's call count, in its block after the owner word: written only by the slot's holder, so not contended. */
    private static final VarHandle CALLS = JAVA_LONG.varHandle();
    /** The cells of {@link #lastSlots}: a power of two, 1 KB, where two threads rarely meet. */
    private static final int HINT_CELLS = 256;
    /**
     * What the library's own chunks need (callback.lua: the FFI, string, table; thread.lua: jit, and the debug
     * library that every state opens): opened in every state, and hidden from user code unless asked for.
     */
    private static final Set<LuaState.Library> FOR_LIBRARY = EnumSet.of(LuaState.Library.FFI,
            LuaState.Library.STRING, LuaState.Library.TABLE, LuaState.Library.JIT);

    /** One state, its owner word, call count and frame; held by at most one calling thread at a time. */
    static final class Slot {
        private final LuaState state;
        private final MemorySegment owner;
        private final MemorySegment calls;
        private final MemorySegment frame;

        private Slot(LuaState state, MemorySegment block) {
            this.state = state;
            this.owner = block.asSlice(0, JAVA_LONG.byteSize());
            this.calls = block.asSlice(JAVA_LONG.byteSize(), JAVA_LONG.byteSize());
            this.frame = block.asSlice(2 * JAVA_LONG.byteSize());
        }

        MemorySegment frame() {
            return frame;
        }
    }

    private final CallbackType.Frame layout;
    private final String name;
    private final String signature;
    private final Slot[] slots;
    // What a refused call writes its arguments into; never read.
    private final Slot refusal;
    private final long fallback;
    private volatile Consumer<? super LuaException> onError;
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong waitNanos = new AtomicLong();
    // False for a LuaThread's callback, whose end its own events report
    private boolean recorded = true;
    private volatile LuaException lastError;
    // The slot each calling thread claimed last, in a cell chosen by a hash of its id: a hint only (two threads in
    // one cell share it), read with plain loads and written only when a thread changes slots, so that the calls of
    // a pool's threads share no line they write. Cheaper than a ThreadLocal lookup on every call.
    private final int[] lastSlots = new int[HINT_CELLS];
    // Set while the error handler runs on a thread: reports it causes on that thread are counted, not handed to it.
    private final ThreadLocal<Boolean> handling = new ThreadLocal<>();
    private final Ownership ownership = new Ownership();
    private volatile boolean closed;
    private volatile boolean freed;
    // The Callback, held while open so that it (and the stub it shares with this object) is never collected then.
    private Object owner;

    /**
     * Opens {@code count} states, each running the chunk. Frames come from an automatic arena: nothing has to free
     * them on close, and they live as long as this object, which the upcall stub holds.
     */
    CallbackStates(CallbackType type, int count, String name, long fallback, Consumer<? super LuaException> onError,
                   LuaState.Options options, byte[] chunk, String mode, Object[] initArgs, LibraryChunks.Chunk adapter,
                   Object[] adapterArgs, Interruption interruption, Object owner) {
        this.owner = owner;
        this.layout = type.frame();
        this.name = name;
        this.signature = type.toString();
        this.fallback = fallback;
        this.onError = onError;
        Arena blocks = Arena.ofAuto();
        long size = (2 * JAVA_LONG.byteSize() + layout.size() + BLOCK - 1) / BLOCK * BLOCK;
        slots = new Slot[count];
        refusal = new Slot(null, blocks.allocate(size, BLOCK));
        try {
            for (int i = 0; i < count; i++) {
                slots[i] = new Slot(LuaState.open(options, FOR_LIBRARY, interruption), blocks.allocate(size, BLOCK));
                slots[i].state.pinEntry(chunk, name, mode, initArgs, layout.setupArgs(slots[i].frame), adapter,
                        adapterArgs);
            }
        } catch (RuntimeException | Error e) {
            for (Slot slot : slots) {
                if (slot != null) {
                    slot.state.close();
                }
            }
            throw e;
        }
    }

    int count() {
        return slots.length;
    }

    long errorCount() {
        return errors.get();
    }

    long refusalCount() {
        return refusals.get();
    }

    long waitNanos() {
        return waitNanos.get();
    }

    /** The calls that ran in a state: each slot's count, summed. */
    long callCount() {
        long sum = 0;
        for (Slot slot : slots) {
            sum += (long) CALLS.getOpaque(slot.calls, 0L);
        }
        return sum;
    }

    /** Stops this callback's calls from emitting events (a LuaThread reports its end with events of its own). */
    void unrecorded() {
        recorded = false;
    }

    LuaException lastError() {
        return lastError;
    }

    boolean isClosed() {
        return closed;
    }

    // ---- the per-call path -----------------------------------------------------------------------------------------

    /** Claims a state for the calling thread, or returns {@link #refusal} after reporting why. Never throws. */
    Slot enter() {
        try {
            Thread me = Thread.currentThread();
            Slot slot = tryClaim(me.threadId());
            return slot != null ? slot : contended(me);
        } catch (Throwable t) {
            return refuse("it could not get a state: " + Failures.describe(t));
        }
    }

    /** Runs the claimed state's entry and releases it; returns the result's bits, or the fallback's. Never throws. */
    long run(Slot slot) {
        if (slot == refusal) {
            return fallback;
        }
        // the holder is this slot's only writer: no atomic add, and the release below publishes it to the next
        CALLS.setOpaque(slot.calls, 0L, (long) CALLS.get(slot.calls, 0L) + 1);
        LuaException error;
        try {
            int status = slot.state.callEntry();
            if (status == 0) {
                return layout.readResult(slot.frame);
            }
            error = slot.state.entryFailure(status);
        } catch (Throwable t) {
            // callEntry throws a LuaException only to refuse a thread whose stack is nearly used up
            error = t instanceof LuaException lua ? refusal(lua.luaMessage()) : failedInJava(t);
        } finally {
            release(slot);
        }
        // reported once the state is free again, so that the handler may call this callback
        report(error);
        return fallback;
    }

    private LuaException failedInJava(Throwable t) {
        try {
            return new LuaException(LuaException.Kind.JAVA, "callback " + name + " failed in Java: "
                    + Failures.describe(t), "", t);
        } catch (Throwable again) {
            return null; // no memory even for that: counted without an error object
        }
    }

    private Slot tryClaim(long me) {
        if (closed) {
            return null;
        }
        Slot[] all = slots;
        if (all.length == 1) {
            return claimed(all[0], me) ? all[0] : null;
        }
        // A thread goes back to the state it used last: two threads that swapped states on every call would drag
        // each state's memory (its stack, its heap, its compiled traces) from one core's cache to the other's.
        int cell = (int) ((me * 0x9E3779B97F4A7C15L) >>> 56); // Fibonacci hashing: the top 8 bits
        int first = lastSlots[cell];
        int index = first;
        for (int i = 0; i < all.length; i++) {
            if (claimed(all[index], me)) {
                if (index != first) {
                    lastSlots[cell] = index;
                }
                return all[index];
            }
            index = index + 1 == all.length ? 0 : index + 1;
        }
        return null;
    }

    private boolean claimed(Slot slot, long me) {
        if (!Ownership.claim(slot.owner, me)) {
            return false;
        }
        if (closed) {
            release(slot); // close began after the check above: this call must not run
            return false;
        }
        return true;
    }

    private Slot contended(Thread thread) {
        long me = thread.threadId();
        if (holds(me)) {
            return refuse("it was called again on a thread that is already inside it (" + thread.getName()
                    + "), and no other state of the callback was free; LuaJIT cannot enter a state from C code"
                    + " called through its FFI");
        }
        // timed here only, where a claim has failed: an uncontended call reads no clock
        StateWait event = StateWait.started();
        long began = System.nanoTime();
        try {
            return ownership.await(() -> {
                Slot slot = tryClaim(me);
                return slot != null ? slot : closed ? refuse("the callback is closed") : null;
            });
        } finally {
            waitNanos.addAndGet(System.nanoTime() - began);
            if (recorded) {
                event.ended(name, signature, slots.length);
            }
        }
    }

    private void release(Slot slot) {
        ownership.release(slot.owner);
    }

    private boolean holds(long me) {
        for (Slot slot : slots) {
            if (Ownership.heldBy(slot.owner, me)) {
                return true;
            }
        }
        return false;
    }

    private Slot refuse(String why) {
        report(refusal(why));
        return refusal;
    }

    /** Counts and reports a call refused before it reached a state (see {@link QueuedCalls}). Never throws. */
    void refused(String why) {
        refuse(why);
    }

    /** The error of a refused call, or null when there is no memory or stack even for that. */
    private LuaException refusal(String why) {
        try {
            return new LuaException(LuaException.Kind.REFUSED, "a call to callback " + name + " was refused: " + why,
                    "", null);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Counts a failed call and hands its error (null when even making it failed) to the handler, unless the handler
     * is already running on this thread for this callback: a handler that calls the callback again, and fails
     * again, would otherwise recurse until the stack is gone. Never throws.
     */
    private void report(LuaException error) {
        try {
            errors.incrementAndGet();
            if (error == null) {
                return;
            }
            recordFailure(error);
            lastError = error;
            if (handling.get() != null) {
                return;
            }
            handling.set(Boolean.TRUE);
            try {
                onError.accept(error);
            } finally {
                handling.remove();
            }
        } catch (Throwable ignored) {
            // an error handler that throws (or runs out of stack) must not take the native caller down with it
        }
    }

    /** Counts a refusal, and emits the call's event when a recording asks for it. */
    private void recordFailure(LuaException error) {
        boolean refused = error.kind() == LuaException.Kind.REFUSED;
        if (refused) {
            refusals.incrementAndGet();
        }
        if (!recorded) {
            return;
        }
        if (refused) {
            CallbackRefused.emit(name, signature, error.luaMessage());
        } else {
            CallbackError.emit(name, signature, error.kind().name(), error.luaMessage(), error.traceback());
        }
    }

    // ---- close -----------------------------------------------------------------------------------------------------

    /** Refuses new calls, waits for the running ones, closes the states. Idempotent; see {@link Callback#close()}. */
    void close() {
        if (freed) {
            return;
        }
        long me = Thread.currentThread().threadId();
        if (holds(me)) {
            throw new IllegalStateException("a callback cannot be closed from inside one of its own calls;"
                    + " close it after the call returns");
        }
        synchronized (this) {
            if (freed) {
                return;
            }
            closed = true;
            ownership.wakeAll(); // waiting callers see `closed` and give up
            for (Slot slot : slots) {
                // and never release: no call may start once close has begun
                ownership.await(() -> Ownership.claim(slot.owner, me) ? slot : null);
            }
            for (Slot slot : slots) {
                slot.state.close();
                Ownership.retire(slot.owner, CLOSED);
            }
            freed = true;
            // The stub, a GC root until its Callback is collected, holds this object: let go of everything that
            // might lead back to the Callback (an error handler capturing it would keep it, and the stub, forever).
            owner = null;
            onError = error -> {};
        }
    }
}
