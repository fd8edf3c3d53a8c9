package dev.ljasync;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.*;

/** Real native callers for the tests: libc's qsort and pthreads, bound with the FFM API, and plain downcalls. */
final class NativeCallers {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle QSORT = libc("qsort",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle PTHREAD_CREATE = libc("pthread_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle PTHREAD_JOIN = libc("pthread_join",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));

    private NativeCallers() {}

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }

    /** qsort(base, count, size, compare). */
    static void qsort(MemorySegment base, long count, long size, MemorySegment compare) throws Throwable {
        QSORT.invokeExact(base, count, size, compare);
    }

    /** Starts a native thread running {@code start(arg)}; returns its pthread_t. */
    static long pthreadCreate(MemorySegment start, MemorySegment arg) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = arena.allocate(JAVA_LONG);
            int rc = (int) PTHREAD_CREATE.invokeExact(id, MemorySegment.NULL, start, arg);
            if (rc != 0) {
                throw new IllegalStateException("pthread_create failed: " + rc);
            }
            return id.get(JAVA_LONG, 0);
        }
    }

    /** Joins a native thread; returns what its start routine returned. */
    static MemorySegment pthreadJoin(long thread) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment result = arena.allocate(ADDRESS);
            int rc = (int) PTHREAD_JOIN.invokeExact(thread, result);
            if (rc != 0) {
                throw new IllegalStateException("pthread_join failed: " + rc);
            }
            return result.get(ADDRESS, 0);
        }
    }

    /** A downcall handle that calls the callback's function pointer as native code would. */
    static MethodHandle downcall(Callback callback) {
        return LINKER.downcallHandle(callback.funcptr(), callback.type().descriptor());
    }
}
