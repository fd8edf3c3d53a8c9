package dev.ljasync.internal.sync;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.*;

/**
 * Threads made by libc's {@code pthread_create} rather than by the JVM: each runs one Java task, entered through a
 * single upcall stub shared by all of them (the JVM attaches the thread on entry and detaches it when it exits).
 * The threads are detached: their resources go back to libc when they end, and completion is the task's to report.
 */
public final class NativeThreads {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PTHREAD_CREATE = libc("pthread_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle PTHREAD_DETACH = libc("pthread_detach",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    // absent from libcs other than glibc, where there is nothing to trim
    private static final MethodHandle MALLOC_TRIM = LINKER.defaultLookup().find("malloc_trim")
            .map(trim -> LINKER.downcallHandle(trim, FunctionDescriptor.of(JAVA_INT, JAVA_LONG))).orElse(null);
    private static final Map<Long, Runnable> TASKS = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();
    // void *start(void *id): never freed, since a thread may still be leaving it when its task has finished
    private static final MemorySegment START = startStub();

    private NativeThreads() {}

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libc has no " + name)), descriptor);
    }

    private static MemorySegment startStub() {
        try {
            MethodHandle start = MethodHandles.lookup().findStatic(NativeThreads.class, "run",
                    MethodType.methodType(MemorySegment.class, MemorySegment.class));
            return LINKER.upcallStub(start, FunctionDescriptor.of(ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Starts a native thread running {@code task}.
     *
     * @throws IllegalStateException when pthread_create fails (the task then never runs)
     */
    public static void start(Runnable task) {
        long id = IDS.incrementAndGet();
        TASKS.put(id, task);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment thread = arena.allocate(JAVA_LONG);
            int rc = (int) PTHREAD_CREATE.invokeExact(thread, MemorySegment.NULL, START, MemorySegment.ofAddress(id));
            if (rc != 0) {
                TASKS.remove(id);
                throw new IllegalStateException("pthread_create failed with error " + rc);
            }
            int ignored = (int) PTHREAD_DETACH.invokeExact(thread.get(JAVA_LONG, 0));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Gives the free memory of glibc's malloc arenas back to the system ({@code malloc_trim(0)}), where there is one. */
    public static void trimMalloc() {
        if (MALLOC_TRIM != null) {
            try {
                int ignored = (int) MALLOC_TRIM.invokeExact(0L);
            } catch (Throwable ignored) {
                // nothing lost but memory that stays with malloc
            }
        }
    }

    // The upcall: never throws (the task catches what it can; anything left is dropped rather than end the JVM).
    private static MemorySegment run(MemorySegment id) {
        try {
            Runnable task = TASKS.remove(id.address());
            if (task != null) {
                task.run();
            }
        } catch (Throwable ignored) {
            // nothing to report it to
        }
        return MemorySegment.NULL;
    }
}
