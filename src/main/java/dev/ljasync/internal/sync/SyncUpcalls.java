package dev.ljasync.internal.sync;

import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.values.Messages;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.ljasync.internal.sync.Shared.*;
import static java.lang.foreign.ValueLayout.*;

/**
 * The way in from Lua to the shared objects: one upcall stub, made once per JVM, which the module ljasync.sync gets
 * as its context and calls through the FFI as
 * <pre>{@code double sync(int32_t op, int64_t handle, void *data, int64_t size, double timeout, double *out)}</pre>
 * One stub for every operation rather than one each: making a stub costs 10 to 20 ms in a fresh JVM, and this one is
 * made when the first state opens. The result is 0 or more on success (a handle, a kind, a length, a count) and a
 * negated status of {@link Shared} on failure; a double, so that Lua gets a plain number.
 *
 * <p>The stub never throws: a Java exception becomes {@code -FAILED}, and its message waits for the {@link #ERROR}
 * operation on the same thread. Waits (a lock, a send to a full channel, a receive from an empty one) happen here,
 * on the calling thread; an interrupt ends a wait with {@code -INTERRUPTED} and leaves the thread's interrupt flag
 * set (unless it was the library's own, {@link Interruption}, which the interrupted call takes back). On a virtual
 * thread a wait without a timeout is refused ({@code -PINNED}) when it would have to wait: see {@link #waitNanos}.
 * A timeout is in seconds, negative for none. The operation numbers are also written in ljasync.sync.
 */
public final class SyncUpcalls {

    // operations
    static final int NEW_CHANNEL = 1, NEW_MUTEX = 2, NEW_SEMAPHORE = 3, RETAIN = 4, RELEASE = 5, SEND = 6,
            RECEIVE = 7, CLOSE = 8, LOCK = 9, UNLOCK = 10, ACQUIRE = 11, RELEASE_PERMITS = 12, QUERY = 13, ERROR = 14,
            SEND_NUMBER = 15;
    // a select (ChannelSelect.receiveInto) and the shared tables' operations (TableCalls)
    static final int SELECT = 20, NEW_TABLE = 21, TABLE_GET = 22, TABLE_SET = 23, TABLE_CAS = 24,
            TABLE_INCREMENT = 25, TABLE_SNAPSHOT = 26, TABLE_CLEAR = 27;
    // lj-async's keeper (lj-async.keeper)
    static final int NEW_KEEPER = 40, KEEPER_SEND = 41, KEEPER_RECEIVE = 42, KEEPER_CLEAR = 43;
    /** The first operation that goes to the {@link Extension}. */
    static final int EXTENSION = 50;
    // what QUERY asks for, in its size argument
    static final int SIZE = 1, IS_CLOSED = 2, IS_LOCKED = 3, IS_HELD = 4, AVAILABLE = 5;

    /**
     * The operations from 50 on, served outside this package: lj-async's callbacks and threads, which the public
     * API's classes make. Called as the entry is, inside its try: what it throws becomes {@code -FAILED} (or
     * {@code -INTERRUPTED}) with its message.
     */
    @FunctionalInterface
    public interface Extension {
        /** Serves one operation; the arguments and the result are the entry's. */
        double call(int op, long handle, MemorySegment data, long size, double timeout, MemorySegment out)
                throws Exception;
    }

    private static volatile Extension extension;

    private static final ThreadLocal<byte[]> LAST_ERROR = new ThreadLocal<>();

    /** The C function pointer that ljasync.sync calls. */
    public static final MemorySegment ENTRY = stub();

    private SyncUpcalls() {}

    private static MemorySegment stub() {
        try {
            var target = MethodHandles.lookup().findStatic(SyncUpcalls.class, "call", MethodType.methodType(
                    double.class, int.class, long.class, MemorySegment.class, long.class, double.class,
                    MemorySegment.class));
            return Linker.nativeLinker().upcallStub(target, FunctionDescriptor.of(JAVA_DOUBLE, JAVA_INT, JAVA_LONG,
                    ADDRESS, JAVA_LONG, JAVA_DOUBLE, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // The body of the stub: it never throws (an exception leaving an upcall ends the JVM).
    private static double call(int op, long handle, MemorySegment data, long size, double timeout,
                               MemorySegment out) {
        try {
            return switch (op) {
                case NEW_CHANNEL -> SharedChannel.create(count(size)).handle();
                case NEW_MUTEX -> SharedMutex.create().handle();
                case NEW_SEMAPHORE -> SharedSemaphore.create(count(size)).handle();
                case RETAIN -> {
                    Shared object = Shared.retain(handle);
                    yield object == null ? -NO_OBJECT : object.kind().code;
                }
                case RELEASE -> {
                    Shared object = Shared.find(handle);
                    if (object != null) {
                        object.release();
                    }
                    yield OK;
                }
                case SEND -> {
                    if (!(Shared.find(handle) instanceof SharedChannel channel)) yield -NO_OBJECT;
                    byte[] message = data.reinterpret(size).toArray(JAVA_BYTE);
                    long nanos = waitNanos(timeout);
                    yield refused(-channel.send(message, Math.max(nanos, 0)), nanos);
                }
                case SEND_NUMBER -> { // a number, in out[0]: no bytes to encode, copy or decode
                    if (!(Shared.find(handle) instanceof SharedChannel channel)) yield -NO_OBJECT;
                    Double number = out.reinterpret(8).get(JAVA_DOUBLE, 0);
                    long nanos = waitNanos(timeout);
                    yield refused(-channel.send(number, Math.max(nanos, 0)), nanos);
                }
                case RECEIVE -> {
                    if (!(Shared.find(handle) instanceof SharedChannel channel)) yield -NO_OBJECT;
                    long nanos = waitNanos(timeout);
                    yield refused(channel.receiveInto(data.reinterpret(size), Math.max(nanos, 0), out.reinterpret(16)),
                            nanos);
                }
                case CLOSE -> {
                    if (!(Shared.find(handle) instanceof SharedChannel channel)) yield -NO_OBJECT;
                    channel.close();
                    yield OK;
                }
                case LOCK -> {
                    if (!(Shared.find(handle) instanceof SharedMutex mutex)) yield -NO_OBJECT;
                    long nanos = waitNanos(timeout);
                    yield mutex.lock(Math.max(nanos, 0)) ? OK : refused(-TIMEOUT, nanos);
                }
                case UNLOCK -> {
                    if (!(Shared.find(handle) instanceof SharedMutex mutex)) yield -NO_OBJECT;
                    yield -mutex.unlock();
                }
                case ACQUIRE -> {
                    if (!(Shared.find(handle) instanceof SharedSemaphore semaphore)) yield -NO_OBJECT;
                    long nanos = waitNanos(timeout);
                    yield semaphore.acquire(Math.max(nanos, 0)) ? OK : refused(-TIMEOUT, nanos);
                }
                case RELEASE_PERMITS -> {
                    if (!(Shared.find(handle) instanceof SharedSemaphore semaphore)) yield -NO_OBJECT;
                    semaphore.release(count(size));
                    yield OK;
                }
                case SELECT -> {
                    long nanos = waitNanos(timeout);
                    yield refused(ChannelSelect.receiveInto(count(handle), data.reinterpret(size), Math.max(nanos, 0),
                            out), nanos);
                }
                case NEW_TABLE, TABLE_GET, TABLE_SET, TABLE_CAS, TABLE_INCREMENT, TABLE_SNAPSHOT, TABLE_CLEAR ->
                        TableCalls.call(op, handle, data.reinterpret(size), out);
                case QUERY -> query(Shared.find(handle), (int) size);
                case ERROR -> lastError(data, size);
                case NEW_KEEPER -> SharedKeeper.create().handle();
                case KEEPER_SEND -> {
                    if (!(Shared.find(handle) instanceof SharedKeeper keeper)) yield -NO_OBJECT;
                    byte[] message = data.reinterpret(size).toArray(JAVA_BYTE);
                    int keyLength = (int) timeout; // the key's message comes first, then the value's
                    keeper.send(Arrays.copyOf(message, keyLength), Arrays.copyOfRange(message, keyLength,
                            message.length));
                    yield OK;
                }
                case KEEPER_RECEIVE -> {
                    if (!(Shared.find(handle) instanceof SharedKeeper keeper)) yield -NO_OBJECT;
                    MemorySegment buffer = data.reinterpret((long) out.reinterpret(16).get(JAVA_DOUBLE, 0));
                    byte[][] keys = Messages.keys(buffer.asSlice(0, size).toArray(JAVA_BYTE));
                    long nanos = waitNanos(timeout);
                    yield refused(keeper.receiveInto(keys, buffer, Math.max(nanos, 0), out.reinterpret(16)), nanos);
                }
                case KEEPER_CLEAR -> {
                    if (!(Shared.find(handle) instanceof SharedKeeper keeper)) yield -NO_OBJECT;
                    yield keeper.clear(data.reinterpret(size).toArray(JAVA_BYTE));
                }
                default -> {
                    Extension served = extension;
                    if (op < EXTENSION || served == null) {
                        throw new IllegalArgumentException("ljasync.sync asked for unknown operation " + op);
                    }
                    yield served.call(op, handle, data, size, timeout, out);
                }
            };
        } catch (InterruptedException e) {
            if (!Interruption.raisedHere()) {
                Thread.currentThread().interrupt(); // not the library's own interrupt, which its call takes back
            }
            return -INTERRUPTED;
        } catch (Throwable t) {
            try {
                String message = t instanceof IllegalArgumentException ? t.getMessage() : t.toString();
                LAST_ERROR.set(message.getBytes(StandardCharsets.UTF_8));
            } catch (Throwable ignored) {
                // out of memory, most likely: Lua reports the failure without its message
            }
            return -FAILED;
        }
    }

    /** Sets the {@link Extension}; once, by the class that serves lj-async's callbacks and threads. */
    public static void extend(Extension served) {
        extension = served;
    }

    /**
     * The wait that a Lua call may make, in nanoseconds. None once the call is interrupted (the thread's interrupt
     * may have been taken back by code it ran: the flag is the truth). On a virtual thread, none without a timeout:
     * Lua code runs inside a native call (lua_pcall), and a virtual thread waiting under a native frame pins its
     * carrier, so that waits for a sender on the same carriers would never end. -1 marks such a wait: it is tried
     * without waiting, and refused ({@link #refused}) when it would have had to wait.
     */
    public static long waitNanos(double timeout) throws InterruptedException {
        if (Interruption.raisedHere()) {
            throw new InterruptedException();
        }
        long nanos = nanos(timeout);
        return nanos == FOREVER && Thread.currentThread().isVirtual() ? -1 : nanos;
    }

    /** The status of an operation tried with the wait of {@link #waitNanos}: a refused untimed wait is PINNED. */
    public static long refused(long result, long nanos) {
        return nanos < 0 && result == -TIMEOUT ? -PINNED : result;
    }

    private static double query(Shared object, int what) {
        return switch (object) {
            case SharedChannel channel when what == SIZE -> channel.size();
            case SharedChannel channel when what == IS_CLOSED -> channel.isClosed() ? 1 : 0;
            case SharedMutex mutex when what == IS_LOCKED -> mutex.isLocked() ? 1 : 0;
            case SharedMutex mutex when what == IS_HELD -> mutex.isHeldByCurrentThread() ? 1 : 0;
            case SharedSemaphore semaphore when what == AVAILABLE -> semaphore.available();
            case SharedMap table when what == SIZE -> table.size();
            case null -> -NO_OBJECT;
            default -> throw new IllegalArgumentException("a " + object.kind() + " has no property " + what);
        };
    }

    /** Copies the message of this thread's last failure into {@code buffer}; returns its full length. */
    private static double lastError(MemorySegment buffer, long size) {
        byte[] message = LAST_ERROR.get();
        if (message == null) {
            return 0;
        }
        MemorySegment.copy(message, 0, buffer.reinterpret(size), JAVA_BYTE, 0, (int) Math.min(size,
                message.length));
        return message.length;
    }

    private static int count(long size) {
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(size + " is out of range (0 to " + Integer.MAX_VALUE + ")");
        }
        return (int) size;
    }
}
