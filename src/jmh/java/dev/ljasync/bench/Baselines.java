package dev.ljasync.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.*;

/**
 * The C baselines of src/bench/c/baselines.c, which scripts/bench compiles against the same LuaJIT and names in
 * LJASYNC_BENCH_NATIVE. Plain downcalls, so every case pays the same Java -> C step.
 */
final class Baselines {

    private static final Linker LINKER = Linker.nativeLinker();
    static final Path LIBRARY = library();
    private static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(LIBRARY, Arena.global());

    /** int64_t ljb_call_loop(int (*f)(int), int n): the native caller of the round trips. */
    static final MethodHandle CALL_LOOP = downcall("ljb_call_loop", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    static final MethodHandle PCALL_OPEN = downcall("ljb_pcall_open", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle PCALL_LOOP = downcall("ljb_pcall_loop", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    static final MethodHandle FFI_OPEN = downcall("ljb_ffi_open", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle FFI_LOOP = downcall("ljb_ffi_loop", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    static final MethodHandle CLOSE = downcall("ljb_close", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle CREATE_CLOSE = downcall("ljb_create_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    /** int64_t ljb_call_threads(int (*f)(int), int k, int n): k new pthreads each calling f(i) n times, joined. */
    static final MethodHandle CALL_THREADS = downcall("ljb_call_threads",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
    /** void ljb_void_loop(void (*f)(int), int n): the native caller of the queued benchmarks. */
    static final MethodHandle VOID_LOOP = downcall("ljb_void_loop", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
    /** int64_t ljb_void_threads(void (*f)(int), int k, int n): k new pthreads each calling f(i) n times; 0. */
    static final MethodHandle VOID_THREADS = downcall("ljb_void_threads",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
    /** int64_t ljb_pcall_threads(lua_State **states, int k, int n): k pthreads, each pcalls in its own state. */
    static final MethodHandle PCALL_THREADS = downcall("ljb_pcall_threads",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
    /** int64_t ljb_thread_run(const char *chunk): a pthread that opens a state, runs the chunk, closes; joined. */
    static final MethodHandle THREAD_RUN = downcall("ljb_thread_run", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    /** ljb_channel *ljb_channel_open(messages, int32_t *offsets, int count, int capacity): the channel floor. */
    static final MethodHandle CHANNEL_OPEN = downcall("ljb_channel_open",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
    /** int64_t ljb_channel_receive(ljb_channel *ch, int n): n messages received and decoded, their sum. */
    static final MethodHandle CHANNEL_RECEIVE = downcall("ljb_channel_receive",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    static final MethodHandle CHANNEL_CLOSE = downcall("ljb_channel_close", FunctionDescriptor.ofVoid(ADDRESS));
    /**
     * int ljb_states_open(lua_State **states, int n, const char *chunk): n states with the standard libraries, each
     * running the chunk unless NULL; how many opened.
     */
    static final MethodHandle STATES_OPEN = downcall("ljb_states_open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    static final MethodHandle STATES_CLOSE = downcall("ljb_states_close",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));

    private Baselines() {}

    private static Path library() {
        String path = System.getenv("LJASYNC_BENCH_NATIVE");
        if (path == null || !Files.isRegularFile(Path.of(path))) {
            throw new IllegalStateException("LJASYNC_BENCH_NATIVE must name the compiled src/bench/c/baselines.c"
                    + " (scripts/bench builds it): " + path);
        }
        return Path.of(path).toAbsolutePath();
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LOOKUP.find(name).orElseThrow(), descriptor);
    }

    /** The Panama floor: an upcall stub for int (*)(int) whose Java body adds one. */
    static MemorySegment upcallStub(Arena arena) throws ReflectiveOperationException {
        return LINKER.upcallStub(
                MethodHandles.lookup().findStatic(Baselines.class, "inc", MethodType.methodType(int.class, int.class)),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), arena);
    }

    private static int inc(int n) {
        return n + 1;
    }

    /** A state with the chunk's function, called by C with lua_pcall (the Lua floor). */
    static MemorySegment pcallState(String chunk, Arena arena) throws Throwable {
        return check((MemorySegment) PCALL_OPEN.invokeExact(arena.allocateFrom(chunk)), chunk);
    }

    /** A state with the chunk's function as LuaJIT's own FFI callback, driven by a C loop called through the FFI. */
    static MemorySegment ffiState(String chunk, Arena arena) throws Throwable {
        return check((MemorySegment) FFI_OPEN.invokeExact(arena.allocateFrom(chunk),
                arena.allocateFrom(LIBRARY.toString())), chunk);
    }

    /**
     * The sum of f(i) for i in [0, n) when f adds one: what every loop of the round trips returns, checked once in
     * each benchmark's setup so that no case or baseline measures a call that failed.
     */
    static long expectedSum(long n) {
        return n * (n + 1) / 2;
    }

    /** Throws unless a setup probe gave the expected value. */
    static void expect(String what, long expected, long actual) {
        if (actual != expected) {
            throw new IllegalStateException(what + " returned " + actual + ", expected " + expected);
        }
    }

    private static MemorySegment check(MemorySegment L, String chunk) {
        if (L.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("the C baseline could not set up a state for: " + chunk);
        }
        return L;
    }
}
