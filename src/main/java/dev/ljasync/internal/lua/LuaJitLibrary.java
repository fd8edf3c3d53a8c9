package dev.ljasync.internal.lua;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Finds and opens the LuaJIT shared library, once per JVM.
 *
 * <p>The file is the one named by the system property {@value #PROPERTY}, else by the environment variable
 * {@value #ENVIRONMENT}; when neither is set, the first of these that opens and is LuaJIT: the system library by
 * the names and paths of this OS ({@link LibraryCandidates}), then the file for this platform inside luajava's
 * natives artifact on the class path, copied into a per-user cache ({@link NativesArtifact}). When none is, the
 * error lists every place tried and why each failed. The file is opened with
 * {@link SymbolLookup#libraryLookup(Path, Arena)}, then registered with {@link System#load} so that the jextract
 * bindings, which look symbols up in their class loader, resolve against that same file.
 */
public final class LuaJitLibrary {

    /** System property naming the LuaJIT shared library file. */
    public static final String PROPERTY = "ljasync.luajit.library";
    /** Environment variable naming the LuaJIT shared library file (the property wins). */
    public static final String ENVIRONMENT = "LJASYNC_LUAJIT_LIBRARY";
    /** The soname of LuaJIT 2.1 on Linux (Debian package libluajit-5.1-2). */
    public static final String DEFAULT_NAME = "libluajit-5.1.so.2";
    /** A symbol every LuaJIT exports and plain Lua 5.1 does not: tells the two apart. */
    static final String LUAJIT_MARKER = "luaJIT_setmode";

    private static SymbolLookup lookup;
    private static final Path FILE = load();

    private LuaJitLibrary() {}

    /** The absolute path of the loaded library file. */
    public static Path file() {
        return FILE;
    }

    /** The symbols of the loaded library (for checks; calls go through the generated bindings). */
    public static SymbolLookup lookup() {
        return lookup;
    }

    private static Path load() {
        String configured = System.getProperty(PROPERTY);
        String origin = "system property " + PROPERTY;
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(ENVIRONMENT);
            origin = "environment variable " + ENVIRONMENT;
        }
        SymbolLookup found;
        if (configured != null && !configured.isBlank()) {
            // a file the user named is the only one tried: falling back to another would hide the mistake
            Path path = Path.of(configured).toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw failure("the " + origin + " names " + path + ", which is not a file", null);
            }
            try {
                found = SymbolLookup.libraryLookup(path, Arena.global());
            } catch (IllegalArgumentException e) {
                throw failure("LuaJIT could not be opened: " + e.getMessage(), e);
            }
            if (found.find(LUAJIT_MARKER).isEmpty()) {
                throw failure("the library found does not export " + LUAJIT_MARKER + ", so it is not LuaJIT", null);
            }
        } else {
            found = search(LibraryCandidates.current(), NativesArtifact.cacheDirectory());
        }
        lookup = found;
        Path file = fileOf(found.find(LUAJIT_MARKER).orElseThrow());
        // The generated bindings use SymbolLookup.loaderLookup(): this makes the same file visible to them.
        System.load(file.toString());
        return file;
    }

    /** The first candidate that opens and is LuaJIT; the error names each one tried. */
    static SymbolLookup search(LibraryCandidates candidates, Path cache) {
        List<String> tried = new ArrayList<>();
        for (String name : candidates.systemNames()) {
            SymbolLookup found = open(() -> SymbolLookup.libraryLookup(name, Arena.global()),
                    "the system library " + name, tried);
            if (found != null) {
                return found;
            }
        }
        for (Path path : candidates.systemPaths()) {
            if (!Files.isRegularFile(path)) {
                tried.add(path + ": no such file");
                continue;
            }
            SymbolLookup found = open(() -> SymbolLookup.libraryLookup(path, Arena.global()), path.toString(), tried);
            if (found != null) {
                return found;
            }
        }
        String resource = candidates.nativesResource();
        String where = resource + " from the natives artifact " + NativesArtifact.COORDINATES;
        try {
            byte[] content = NativesArtifact.read(resource);
            if (content == null) {
                tried.add(where + ": that jar is not on the class path");
            } else {
                Path file = NativesArtifact.cache(resource, content, cache);
                SymbolLookup found = open(() -> SymbolLookup.libraryLookup(file, Arena.global()),
                        file + " (" + where + ")", tried);
                if (found != null) {
                    return found;
                }
            }
        } catch (IOException e) {
            tried.add(where + ": it could not be copied to the cache: " + e);
        }
        throw failure("LuaJIT 2.1 was not found; tried, in order:\n  " + String.join("\n  ", tried) + "\n", null);
    }

    /** Opens one candidate, or notes why it failed. */
    private static SymbolLookup open(Supplier<SymbolLookup> opener, String what, List<String> tried) {
        try {
            SymbolLookup found = opener.get();
            if (found.find(LUAJIT_MARKER).isPresent()) {
                return found;
            }
            tried.add(what + ": it does not export " + LUAJIT_MARKER + ", so it is not LuaJIT");
        } catch (IllegalArgumentException e) {
            tried.add(what + ": " + e.getMessage());
        }
        return null;
    }

    /** The file a loaded symbol comes from, by dladdr(3). */
    private static Path fileOf(MemorySegment symbol) {
        Linker linker = Linker.nativeLinker();
        MemorySegment dladdr = linker.defaultLookup().find("dladdr").orElseThrow(() ->
                failure("dladdr is not available to locate the opened library", null));
        // int dladdr(const void *addr, Dl_info *info); Dl_info starts with const char *dli_fname
        MethodHandle handle = linker.downcallHandle(dladdr, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(4 * ADDRESS.byteSize(), ADDRESS.byteAlignment());
            int found = (int) handle.invokeExact(symbol, info);
            MemorySegment name = info.get(ADDRESS, 0);
            if (found == 0 || name.equals(MemorySegment.NULL)) {
                throw failure("dladdr could not tell which file " + LUAJIT_MARKER + " comes from", null);
            }
            return Path.of(name.reinterpret(Integer.MAX_VALUE).getString(0)).toAbsolutePath();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The one message for a missing or wrong library: what went wrong, then how to install or name it. */
    static UnsatisfiedLinkError failure(String reason, Throwable cause) {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(reason + ". lj-async needs LuaJIT 2.1: install it"
                + " ('apt-get install libluajit-5.1-2' on Debian and Ubuntu, 'brew install luajit' on macOS), or add"
                + " the dependency " + NativesArtifact.COORDINATES + ", or name the library file with -D"
                + PROPERTY + "=/path/to/libluajit-5.1.so.2 or the environment variable " + ENVIRONMENT + ".");
        if (cause != null) {
            error.initCause(cause);
        }
        return error;
    }
}
