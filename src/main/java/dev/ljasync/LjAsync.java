package dev.ljasync;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SyncUpcalls;
import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The Java side of lj-async's Lua API (the modules lj-async.callback and lj-async.thread): the operations from 50
 * on of ljasync.sync's entry ({@link SyncUpcalls.Extension}), those of its executors served by
 * {@link LjAsyncExecutors}. A callback or thread made from Lua is the same
 * {@link Callback} or {@link LuaThread} that Java makes, held here under a handle for the Lua object that owns it;
 * its states are opened with the options of the state that made it, so that a sandbox cannot make a state with more
 * than it has. Thread-safe.
 */
final class LjAsync {

    // the operations (also written in lj-async.callback and lj-async.thread)
    private static final int CALLBACK_NEW = 50, CALLBACK_FREE = 51, CALLBACK_ERRORS = 52, CALLBACK_LAST_ERROR = 53,
            THREAD_NEW = 54, THREAD_JOIN = 55, THREAD_RESULTS = 56, THREAD_STATUS = 57, THREAD_ERROR = 58,
            THREAD_CANCEL = 59, DROP = 60, CALLBACK_CALLS = 61, CALLBACK_REFUSALS = 62, CALLBACK_WAIT_TIME = 63,
            CALLBACK_QUEUE_STATS = 64, CALLBACK_FREE_NOW = 65;
    /** The first operation of ljasync.sync's executors, served by {@link LjAsyncExecutors}. */
    static final int EXECUTOR_OPS = 66;

    private static final System.Logger LOG = System.getLogger(LuaThread.class.getName());
    // weakly: a state's options may hold what holds the state (an output sink), which would then never be freed
    private static final Map<Long, WeakReference<LuaState>> STATES = new ConcurrentHashMap<>();
    private static final Map<Long, Object> OBJECTS = new ConcurrentHashMap<>();
    // closes the callbacks whose Lua objects were collected: a close waits for the calls in flight, which a __gc
    // finalizer must not do
    private static volatile ExecutorService closer;

    static {
        SyncUpcalls.extend(LjAsync::call);
    }

    private LjAsync() {}

    /** Records a new state, known to its Lua code as {@code id}, until {@link #forget}. */
    static void register(long id, LuaState state) {
        STATES.put(id, new WeakReference<>(state));
    }

    /** How many callbacks and threads Lua objects hold (for tests). */
    static int held() {
        return OBJECTS.size();
    }

    /** Forgets a state that closed. */
    static void forget(long id) {
        STATES.remove(id);
    }

    private static double call(int op, long handle, MemorySegment data, long size, double timeout,
                               MemorySegment out) throws Exception {
        return switch (op) {
            case CALLBACK_NEW -> newCallback(message(data, size), out.reinterpret(16));
            case CALLBACK_FREE -> {
                // closed, and kept until DROP: calls that still come are refused by its stub, which stays
                object(handle, Callback.class).close();
                yield Shared.OK;
            }
            case CALLBACK_ERRORS -> object(handle, Callback.class).errorCount();
            case CALLBACK_CALLS -> object(handle, Callback.class).callCount();
            case CALLBACK_REFUSALS -> object(handle, Callback.class).refusalCount();
            case CALLBACK_WAIT_TIME -> object(handle, Callback.class).waitTime().toNanos() / 1e9;
            case CALLBACK_QUEUE_STATS -> {
                Callback.QueueStats stats = object(handle, Callback.class).queueStats();
                MemorySegment counts = data.reinterpret(4 * JAVA_DOUBLE.byteSize());
                long[] values = {stats.queued(), stats.dropped(), stats.ran(), stats.discarded()};
                for (int i = 0; i < values.length; i++) {
                    counts.setAtIndex(JAVA_DOUBLE, i, values[i]);
                }
                yield Shared.OK;
            }
            case CALLBACK_FREE_NOW -> object(handle, Callback.class).closeNow();
            case CALLBACK_LAST_ERROR -> text(object(handle, Callback.class).lastError()
                    .map(LuaException::getMessage).orElse(""), data, size);
            case THREAD_NEW -> newThread(message(data, size));
            case THREAD_JOIN -> {
                long nanos = SyncUpcalls.waitNanos(timeout);
                boolean ended = object(handle, LuaThread.class).join(Duration.ofNanos(Math.max(nanos, 0)));
                yield ended ? 1 : nanos < 0 ? -Shared.PINNED : 0; // see SyncUpcalls.waitNanos
            }
            case THREAD_RESULTS -> {
                List<byte[]> messages = object(handle, LuaThread.class).messages();
                yield messages == null ? -1 : messages(messages, data, size);
            }
            case THREAD_STATUS -> object(handle, LuaThread.class).status().ordinal();
            case THREAD_ERROR -> text(object(handle, LuaThread.class).error().map(LuaException::getMessage)
                    .orElse(""), data, size);
            case THREAD_CANCEL -> {
                object(handle, LuaThread.class).cancel();
                yield Shared.OK;
            }
            case DROP -> {
                if (OBJECTS.get(handle) instanceof LjAsyncExecutors.Held held) {
                    held.release(handle); // one of the executor's Lua objects, in this state or another
                } else if (OBJECTS.remove(handle) instanceof Callback callback) {
                    closer().execute(callback::close);
                }
                yield Shared.OK;
            }
            default -> op >= EXECUTOR_OPS ? LjAsyncExecutors.call(op, handle, data, size, timeout)
                    : throwUnknown(op);
        };
    }

    private static double throwUnknown(int op) {
        throw new IllegalArgumentException("lj-async asked for unknown operation " + op);
    }

    static LuaTable message(MemorySegment data, long size) {
        return (LuaTable) Messages.decode(data.reinterpret(size).toArray(JAVA_BYTE));
    }

    static LuaState.Options optionsOf(LuaTable message) {
        WeakReference<LuaState> state = STATES.get((Long) message.get("state"));
        LuaState asking = state == null ? null : state.get();
        if (asking == null) {
            throw new IllegalStateException("the state that asked is closing");
        }
        return asking.options;
    }

    static byte[] bytes(Object text) {
        return text instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) text;
    }

    static long hold(Object object) {
        long handle = Shared.newHandle();
        OBJECTS.put(handle, object);
        return handle;
    }

    /** What a handle holds, or null. */
    static Object held(long handle) {
        return OBJECTS.get(handle);
    }

    /** Lets go of what a handle holds. */
    static void unhold(long handle) {
        OBJECTS.remove(handle);
    }

    static <T> T object(long handle, Class<T> type) {
        Object object = OBJECTS.get(handle);
        if (object instanceof LjAsyncExecutors.Held held) {
            object = held.executor;
        }
        if (!type.isInstance(object)) {
            throw new IllegalStateException("this " + (type == Callback.class ? "callback"
                    : type == LuaThread.class ? "thread" : type == LuaExecutor.class ? "executor" : "future")
                    + " was freed");
        }
        return type.cast(object);
    }

    /**
     * {signature, payload, init, state [, states] [, queued, full]} -> the callback's handle; its function pointer in
     * out[0]. lj-async.callback checked the options' types; the builder checks their ranges.
     */
    private static double newCallback(LuaTable message, MemorySegment out) {
        CallbackType type = CallbackType.of(new String(bytes(message.get("signature")), StandardCharsets.UTF_8));
        Callback.Builder builder = type.builder().withStateOptions(optionsOf(message));
        if (message.get("states") instanceof Number states) {
            builder.states(states.intValue());
        }
        if (message.get("queued") instanceof Number capacity) {
            builder.queued(capacity.intValue(), "drop".equals(message.get("full")) ? Callback.QueueFull.DROP
                    : Callback.QueueFull.BLOCK);
        }
        Callback callback = builder
                .copied(bytes(message.get("payload")), Boolean.TRUE.equals(message.get("init")), new Object[0]);
        out.set(JAVA_DOUBLE, 0, callback.funcptr().address());
        return hold(callback);
    }

    /** {payload, init, userdata, cancellable, state} -> the thread's handle. */
    private static double newThread(LuaTable message) {
        Object userdata = message.get("userdata");
        MemorySegment pointer = userdata instanceof MemorySegment segment ? segment : MemorySegment.NULL;
        LuaThread thread = LuaThread.builder().withStateOptions(optionsOf(message))
                .cancellable(Boolean.TRUE.equals(message.get("cancellable")))
                .copied(bytes(message.get("payload")), Boolean.TRUE.equals(message.get("init")), pointer);
        thread.future().whenComplete((results, failure) -> {
            if (thread.status() == LuaThread.Status.FAILED) {
                thread.error().ifPresent(e -> LOG.log(System.Logger.Level.WARNING, e.getMessage()));
            }
        });
        return hold(thread);
    }

    /**
     * Results (a finished thread's, a task's), as their messages one after the other, each after its length (a
     * uint32), the count first: copied into {@code data} when they fit in {@code size} bytes. Returns the length they
     * take (a caller with less room asks again).
     */
    static double messages(List<byte[]> messages, MemorySegment data, long size) {
        int length = 4;
        for (byte[] message : messages) {
            length += 4 + message.length;
        }
        if (length <= size) {
            ByteBuffer buffer = data.reinterpret(size).asByteBuffer().order(ByteOrder.nativeOrder());
            buffer.putInt(messages.size());
            for (byte[] message : messages) {
                buffer.putInt(message.length).put(message);
            }
        }
        return length;
    }

    /** Copies {@code text} into {@code data} when it fits in {@code size} bytes; returns its length. */
    static double text(String text, MemorySegment data, long size) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= size) {
            MemorySegment.copy(bytes, 0, data.reinterpret(size), JAVA_BYTE, 0, bytes.length);
        }
        return bytes.length;
    }

    private static ExecutorService closer() {
        ExecutorService executor = closer;
        if (executor == null) {
            synchronized (LjAsync.class) {
                if (closer == null) {
                    closer = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon()
                            .name("ljasync-callback-closer").factory());
                }
                executor = closer;
            }
        }
        return executor;
    }
}
