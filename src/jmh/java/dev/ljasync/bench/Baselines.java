package dev.ljasync.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
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

    /** A state with the chunk's function, called by C with lua_pcall (the Lua floor). */
    static MemorySegment pcallState(String chunk, Arena arena) throws Throwable {
        return check((MemorySegment) PCALL_OPEN.invokeExact(arena.allocateFrom(chunk)), chunk);
    }

    /** A state with the chunk's function as LuaJIT's own FFI callback, driven by a C loop called through the FFI. */
    static MemorySegment ffiState(String chunk, Arena arena) throws Throwable {
        return check((MemorySegment) FFI_OPEN.invokeExact(arena.allocateFrom(chunk),
                arena.allocateFrom(LIBRARY.toString())), chunk);
    }

    private static MemorySegment check(MemorySegment L, String chunk) {
        if (L.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("the C baseline could not set up a state for: " + chunk);
        }
        return L;
    }
}
