package dev.ljasync;

import dev.ljasync.internal.events.QueueOverflow;
import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.sync.Ownership;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The queue of a queued {@link Callback} and its worker threads. The upcall stub's method handle is bound to this
 * object ({@link #upcall}): a call reserves a cell of a ring with one compare-and-set, its arguments are written
 * into the cell's frame exactly as a direct call writes them into a state's ({@link CallbackType.Frame#invoker}),
 * a release store publishes it, and the caller returns; nothing on that path allocates. One worker thread per
 * state takes the cells in order, copies each frame into its state's and runs it through {@link CallbackStates}, as
 * a direct call runs (the same errors, handler and counters).
 *
 * <p>The ring is a bounded queue for many producers and consumers in the manner of Dmitry Vyukov's: each cell
 * has a turn word, twice the position it may be written at while free, that plus one once it holds a call (twice,
 * so that a ring of one cell tells the two apart), and a producer reads neither the workers' position nor a lock.
 * The producers' position carries a sealed bit, set at close: a reservation and the seal are one compare-and-set
 * apart, so every call that got a cell before close is published, and none after.
 */
final class QueuedCalls {

    private static final VarHandle WORD = JAVA_LONG.varHandle();
    /** Set in the producers' position once close has begun: no call is queued after it. */
    private static final long SEALED = Long.MIN_VALUE;
    /**
     * The words of the control block, each on a block of its own (x86 fetches cache lines in pairs): the producers'
     * and the workers' positions, and the counts the workers and dropping producers keep.
     */
    private static final long ENQUEUE = 0, DEQUEUE = 128, RAN = 256, DISCARDED = 384, DROPPED = 512, CONTROL = 640;
    /**
     * How long a worker that has caught up pauses before it looks at the next cell again, and how long it keeps
     * looking before it sleeps (nanoseconds). A worker that looked all the time would take the cell's cache line
     * from its producer before every call; one that lets the producers get a few microseconds ahead then runs
     * their calls some lines behind them.
     */
    private static final long POLL_NANOS = 2_000, SPIN_NANOS = 50_000;
    /** A sleeping worker's wait is bounded, in case a wake-up was lost to an error in a producer. */
    private static final long IDLE_NANOS = 100_000_000;
    /** The most cells a queue may have. */
    static final int MAX_CAPACITY = 1 << 20;
    private static final MethodHandle ENTER, PUBLISH, FRAME_OF;
    private static final VarHandle SLEEPERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SLEEPERS = lookup.findVarHandle(QueuedCalls.class, "sleepers", int.class);
            ENTER = lookup.findVirtual(QueuedCalls.class, "enter", MethodType.methodType(Cell.class));
            PUBLISH = lookup.findVirtual(QueuedCalls.class, "publish", MethodType.methodType(long.class, Cell.class));
            FRAME_OF = lookup.findVirtual(Cell.class, "frame", MethodType.methodType(MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One cell of the ring: its turn word, then a frame; reserved by one producer at a time. */
    static final class Cell {
        private final MemorySegment turn;
        private final MemorySegment frame;

        private Cell(MemorySegment block) {
            this.turn = block.asSlice(0, JAVA_LONG.byteSize());
            this.frame = block.asSlice(JAVA_LONG.byteSize());
        }

        MemorySegment frame() {
            return frame;
        }
    }

    private final CallbackStates states;
    private final Callback.QueueFull whenFull;
    private final String name, signature; // for the flight recorder's QueueOverflow
    private final Cell[] cells;
    private final int mask;
    // A worker wakes a producer waiting for room each time it has freed half the ring: a producer woken for each
    // free cell would sleep again at once, and pay a wake-up per call
    private final int halfMask;
    private final long frameSize;
    private final MemorySegment control;
    // What a dropped or refused call writes its arguments into; never read.
    private final Cell refusal;
    private final Thread[] workers;
    // Producers waiting for a free cell (BLOCK)
    private final Ownership room = new Ownership();
    private final Supplier<Cell> reservation = this::reserve;
    // How many workers sleep, and which (1 for a sleeping one): a producer wakes one of them
    private volatile int sleepers;
    private final AtomicIntegerArray asleep;
    private volatile boolean discarding;

    /**
     * A queue of at least {@code capacity} cells (rounded up to a power of two) in front of {@code states}, with one
     * worker thread per state, started here.
     */
    QueuedCalls(CallbackStates states, CallbackType type, int capacity, Callback.QueueFull whenFull, String name) {
        this.states = states;
        this.whenFull = whenFull;
        this.name = name;
        this.signature = type.toString();
        int size = Integer.highestOneBit(capacity) == capacity ? capacity : Integer.highestOneBit(capacity) << 1;
        CallbackType.Frame layout = type.frame();
        frameSize = layout.size();
        long cellSize = JAVA_LONG.byteSize() + frameSize; // the frame's size is a multiple of 8, its alignment
        Arena memory = Arena.ofAuto(); // as CallbackStates' frames: it lives as long as this object
        MemorySegment ring = memory.allocate(cellSize * size, 128);
        cells = new Cell[size];
        for (int i = 0; i < size; i++) {
            cells[i] = new Cell(ring.asSlice(i * cellSize, cellSize));
            WORD.setRelease(cells[i].turn, 0L, 2L * i);
        }
        mask = size - 1;
        halfMask = Math.max(1, size / 2) - 1;
        refusal = new Cell(memory.allocate(cellSize, 8));
        control = memory.allocate(CONTROL, 128);
        workers = new Thread[states.count()];
        asleep = new AtomicIntegerArray(workers.length);
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            workers[i] = Thread.ofPlatform().daemon().name("ljasync-queue " + name + " #" + (i + 1))
                    .unstarted(() -> work(index));
        }
        for (Thread worker : workers) {
            worker.start();
        }
    }

    /** (parameters...) -> void: the body of the callback's upcall stub, bound to this queue. */
    MethodHandle upcall(CallbackType type) {
        return type.frame().invoker(type.descriptor().toMethodType(), ENTER, PUBLISH, FRAME_OF).bindTo(this);
    }

    boolean isClosed() {
        return (long) WORD.getVolatile(control, ENQUEUE) < 0;
    }

    /** The counts, read so that ran + discarded never exceeds queued. */
    Callback.QueueStats stats() {
        long ran = count(RAN), discarded = count(DISCARDED);
        return new Callback.QueueStats((long) WORD.getVolatile(control, ENQUEUE) & ~SEALED, count(DROPPED), ran,
                discarded);
    }

    // ---- the producers' path ---------------------------------------------------------------------------------------

    /** Reserves a cell for the call's arguments, or returns {@link #refusal} for a dropped call. Never throws. */
    Cell enter() {
        try {
            Cell cell = reserve();
            return cell != null ? cell : full();
        } catch (Throwable t) {
            return refuse("it could not be queued: " + Failures.describe(t));
        }
    }

    /** Publishes a reserved cell to the workers, waking one if they sleep; returns nothing (the stub's bits). */
    long publish(Cell cell) {
        if (cell != refusal) {
            // the turn word of a reserved cell changes only here: from twice its position to that plus one
            WORD.setRelease(cell.turn, 0L, (long) WORD.get(cell.turn, 0L) + 1);
            // Read after the reservation's compare-and-set, as a worker reads the position after counting itself
            // in: one of the two sees the other, so a worker never sleeps past a call
            if (sleepers > 0) {
                wakeWorker();
            }
        }
        return 0;
    }

    /** The next free cell, reserved; null when the queue is full; {@link #refusal} once closed. */
    private Cell reserve() {
        long position = (long) WORD.getVolatile(control, ENQUEUE);
        while (true) {
            if (position < 0) {
                return refuse("the callback is closed");
            }
            Cell cell = cells[(int) position & mask];
            long turn = (long) WORD.getAcquire(cell.turn, 0L) - 2 * position;
            if (turn == 0) {
                long seen = (long) WORD.compareAndExchange(control, ENQUEUE, position, position + 1);
                if (seen == position) {
                    return cell;
                }
                position = seen;
            } else if (turn < 0) {
                return null; // the cell still holds the call of one lap earlier
            } else {
                position = (long) WORD.getVolatile(control, ENQUEUE); // another producer took it
            }
        }
    }

    private Cell full() {
        boolean dropped = whenFull == Callback.QueueFull.DROP || isWorker(Thread.currentThread());
        QueueOverflow.emit(name, signature, cells.length, dropped);
        if (whenFull == Callback.QueueFull.DROP) {
            add(DROPPED);
            return refusal;
        }
        if (dropped) {
            return refuse("its queue was full and the call came from the callback's own worker thread, which"
                    + " cannot wait for itself to make room");
        }
        return room.await(reservation);
    }

    private Cell refuse(String why) {
        add(DROPPED);
        states.refused(why);
        return refusal;
    }

    /** Wakes a sleeping worker: the producer that takes its flag, so that the others need not. */
    private void wakeWorker() {
        try {
            for (int i = 0; i < workers.length; i++) {
                if (asleep.get(i) != 0 && asleep.compareAndSet(i, 1, 0)) {
                    SLEEPERS.getAndAdd(this, -1);
                    LockSupport.unpark(workers[i]);
                    return;
                }
            }
        } catch (Throwable ignored) {
            // a sleeping worker looks again within IDLE_NANOS
        }
    }

    private boolean isWorker(Thread thread) {
        for (Thread worker : workers) {
            if (worker == thread) {
                return true;
            }
        }
        return false;
    }

    // ---- the workers -----------------------------------------------------------------------------------------------

    /** A worker's body: takes published cells in order and runs them, until the queue is sealed and empty. */
    private void work(int index) {
        long idleSince = 0; // when this worker caught up, or 0 while it has calls to run
        while (true) {
            try {
                long position = (long) WORD.getVolatile(control, DEQUEUE);
                Cell cell = cells[(int) position & mask];
                long turn = (long) WORD.getAcquire(cell.turn, 0L) - (2 * position + 1);
                if (turn == 0) {
                    if (WORD.compareAndSet(control, DEQUEUE, position, position + 1)) {
                        serve(cell, position);
                    }
                    idleSince = 0;
                } else if (turn > 0) {
                    Thread.onSpinWait(); // another worker took this cell
                } else if (idleSince == 0 || System.nanoTime() - idleSince < SPIN_NANOS) {
                    long now = System.nanoTime();
                    idleSince = idleSince == 0 ? now : idleSince;
                    while (System.nanoTime() - now < POLL_NANOS) {
                        Thread.onSpinWait();
                    }
                } else {
                    // Nothing published at the next cell for a while: only now look at the producers' position,
                    // a word that every call writes, so that spinning does not take its cache line from them
                    idleSince = 0;
                    long end = (long) WORD.getVolatile(control, ENQUEUE);
                    if ((end & ~SEALED) > position) {
                        continue; // reserved: its producer is writing the arguments
                    }
                    if (end < 0) {
                        return; // sealed, and every call queued before the seal is taken
                    }
                    sleep(index);
                }
            } catch (Throwable t) {
                // serve never throws; what else could (an error on this thread) must not end the worker
                Thread.onSpinWait();
            }
        }
    }

    private void serve(Cell cell, long position) {
        if (discarding) {
            free(cell, position);
            add(DISCARDED);
            return;
        }
        CallbackStates.Slot slot = states.enter();
        MemorySegment.copy(cell.frame, 0, slot.frame(), 0, frameSize);
        free(cell, position);
        states.run(slot);
        add(RAN);
    }

    private void add(long count) {
        WORD.getAndAdd(control, count, 1L);
    }

    private long count(long count) {
        return (long) WORD.getVolatile(control, count);
    }

    private void free(Cell cell, long position) {
        WORD.setRelease(cell.turn, 0L, 2 * (position + cells.length));
        if ((position & halfMask) == 0) {
            room.signal();
        }
    }

    /**
     * Parks this worker until a producer or close wakes it. It counts itself in, then looks at the producers'
     * position: a producer reads the count after its compare-and-set on that position, so one of the two sees the
     * other, and no call waits for a worker that sleeps.
     */
    private void sleep(int index) {
        asleep.set(index, 1);
        SLEEPERS.getAndAdd(this, 1);
        try {
            long end = (long) WORD.getVolatile(control, ENQUEUE);
            if (end >= 0 && end == (long) WORD.getVolatile(control, DEQUEUE)) {
                LockSupport.parkNanos(this, IDLE_NANOS);
            }
        } finally {
            if (asleep.compareAndSet(index, 1, 0)) { // nobody woke it: it counts itself out
                SLEEPERS.getAndAdd(this, -1);
            }
        }
    }

    // ---- close -----------------------------------------------------------------------------------------------------

    /**
     * Seals the queue (later calls are dropped as refused), runs what it holds or, with {@code discard}, throws it
     * away, waits for the workers, and closes the states; returns how many calls were discarded in all.
     * Idempotent: a second close waits for the first (and a discarding close during a draining one discards the
     * rest).
     */
    long close(boolean discard) {
        if (isWorker(Thread.currentThread())) {
            throw new IllegalStateException("a queued callback cannot be closed from its own worker thread (inside"
                    + " one of its calls or its error handler); close it from another thread");
        }
        if (discard) {
            discarding = true;
        }
        long position;
        do {
            position = (long) WORD.getVolatile(control, ENQUEUE);
        } while (position >= 0 && !WORD.compareAndSet(control, ENQUEUE, position, position | SEALED));
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        room.wakeAll(); // producers waiting for room see the seal and give up
        synchronized (this) {
            boolean interrupted = false;
            for (Thread worker : workers) {
                while (true) {
                    try {
                        worker.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            states.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return count(DISCARDED);
    }
}
