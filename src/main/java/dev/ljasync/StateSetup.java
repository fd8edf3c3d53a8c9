package dev.ljasync;

import dev.ljasync.internal.lua.FinalizerErrors;
import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.StackGuard;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * Makes a new {@code lua_State} a state of this library: opens its libraries, runs state.lua (the message handler,
 * the helpers and the library's modules), then sandbox.lua with the builder's choices, and makes it interruptible
 * when asked. Runs once, on the thread opening the state.
 */
final class StateSetup {

    private StateSetup() {}

    /**
     * Sets up the state of {@code calls} (a new one), known to the library's modules as {@code stateId}, and gives
     * {@code calls} the references it needs; returns
     * state.lua's helpers: call, lookup, assign and register, and its finish for {@link #objectsTable}.
     */
    static int[] open(CallPath calls, long stateId, LuaState.Options options, Set<LuaState.Library> forLibrary,
                      Interruption interruption) {
        MemorySegment L = calls.L;
        // Only the library's code runs until the state is returned: the collector waits for it to finish (its
        // finalizers cannot fail here), instead of being due for a step after every library.
        gcPause(L);
        Set<LuaState.Library> opened = EnumSet.copyOf(options.libraries());
        opened.addAll(forLibrary);
        openLibraries(calls, opened);
        if (interruption != null) {
            lua_getglobal(L, "debug"); // for interrupt.lua, below the bootstrap; the sandbox may hide the library
        }
        int[] refs = bootstrap(calls, stateId);
        lua_pushvalue(L, LUA_GLOBALSINDEX); // state.lua's _G, for CallPath.call
        calls.globals(registryRef(L));
        int[] sandbox = sandbox(calls, options, interruption);
        if (!opened.contains(LuaState.Library.FFI) && options.libraries().contains(LuaState.Library.PACKAGE)) {
            // LuaJIT opens its FFI by itself, and puts it in package.loaded, the first time it parses a 64-bit literal
            // (1LL) when no FFI is open: that would hand user code with the package library the whole FFI. So it is
            // opened here, once neither the library's code nor the sandbox can see it (the state opened it for
            // neither), and left out of package.loaded. Without the package library, nothing reaches it there.
            openLibrary(calls, LuaState.Library.FFI);
            lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
            lua_pushnil(L);
            lua_setfield(L, -2, "ffi");
            lua_pop(L, 1);
        }
        calls.failures.exitSlot(sandbox[0]);
        if (interruption != null) {
            int status = interruption.install(L);
            if (status != LUA_OK) {
                throw calls.failure(L, status, "making the state interruptible");
            }
        }
        calls.refs(refs[0], sandbox[1], calls.memoryLimit != null ? collectorRef(L) : LUA_NOREF);
        gcRestartPaced(L);
        return new int[] {refs[1], refs[2], refs[3], refs[4], refs[5]};
    }

    private static void openLibraries(CallPath calls, Set<LuaState.Library> libraries) {
        // The debug library is always opened for the traceback, and jit for the errors of __gc finalizers (state.lua);
        // the sandbox hides them again when not asked for.
        Set<LuaState.Library> opened = EnumSet.copyOf(libraries);
        opened.add(LuaState.Library.DEBUG);
        opened.add(LuaState.Library.JIT);
        lua_settop(calls.L, 0);
        for (LuaState.Library library : opened) {
            openLibrary(calls, library);
        }
    }

    /** Opens one library, leaving the stack as it was. */
    private static void openLibrary(CallPath calls, LuaState.Library library) {
        MemorySegment L = calls.L;
        boolean paused = gcPause(L);
        try {
            lua_pushcfunction(L, luaopen(library.luaName));
            calls.values.push(L, library.luaName);
        } finally {
            gcResume(L, paused);
        }
        int status = lua_pcall(L, 1, 0, 0);
        if (status != LUA_OK) {
            throw calls.failure(L, status, "opening the " + library + " library");
        }
    }

    /**
     * Runs objects.lua, the Lua side of Java objects, in the environment of the library's chunks with state.lua's
     * finish ({@code finishRef}); returns the registry reference of the table it returns. Once per state, the first
     * time it pushes a Java object: most states never do, and the code takes about 5 KB of a state's heap. Holding the
     * lock, with room for four pushes.
     */
    static int objectsTable(CallPath calls, MemorySegment L, int finishRef) {
        int status = calls.load(L, LibraryChunks.OBJECTS);
        if (status == LUA_OK) {
            calls.useLibraryEnvironment(L);
            lua_rawgeti(L, LUA_REGISTRYINDEX, finishRef);
            status = lua_pcall(L, 1, 1, 0);
        }
        if (status != LUA_OK) {
            throw calls.failure(L, status, "loading the library's Lua code for Java objects");
        }
        boolean paused = gcPause(L);
        try {
            return registryRef(L);
        } finally {
            gcResume(L, paused);
        }
    }

    private static int collectorRef(MemorySegment L) {
        lua_getglobal(L, "collectgarbage");
        return registryRef(L);
    }

    private static int[] bootstrap(CallPath calls, long stateId) {
        MemorySegment L = calls.L;
        int status = calls.load(L, LibraryChunks.STATE);
        if (status != LUA_OK) {
            throw calls.failure(L, status, "loading the library's Lua code");
        }
        List<LibraryChunks.Module> modules = LibraryChunks.MODULES;
        if (!lua_checkstack(L, 8)) {
            throw new IllegalStateException("the Lua stack is full");
        }
        lua_pushcfunction(L, StackGuard.CHECK);
        lua_pushcfunction(L, FinalizerErrors.REPORT);
        lua_pushnumber(L, stateId);
        // the modules in one table, five entries each: passed as arguments they would grow the Lua stack, and a
        // stack grown early leaves OpenResty's LuaJIT too few slots for the message handler at a stack overflow
        lua_createtable(L, 5 * modules.size(), 0);
        int n = 0;
        for (LibraryChunks.Module module : modules) {
            calls.values.push(L, module.name());
            lua_rawseti(L, -2, ++n);
            calls.values.push(L, module.bytecode());
            lua_rawseti(L, -2, ++n);
            lua_pushinteger(L, module.bytecode().byteSize());
            lua_rawseti(L, -2, ++n);
            calls.values.push(L, module.context());
            lua_rawseti(L, -2, ++n);
            lua_pushboolean(L, module.visible());
            lua_rawseti(L, -2, ++n);
        }
        lua_pushinteger(L, n); // modules.n: a context may be nil
        lua_setfield(L, -2, "n");
        status = lua_pcall(L, 4, 6, 0);
        if (status != LUA_OK) {
            throw calls.failure(L, status, "running the library's Lua code");
        }
        int[] refs = new int[6];
        boolean paused = gcPause(L);
        try {
            for (int i = 5; i >= 0; i--) {
                refs[i] = registryRef(L);
            }
        } finally {
            gcResume(L, paused);
        }
        return refs;
    }

    /**
     * Runs sandbox.lua with the builder's choices and the names of the libraries opened only for the library's code
     * (the debug library among them, unless asked for). Returns the references of os.exit's registry slot and of the
     * environment the library's chunks run in.
     */
    private static int[] sandbox(CallPath calls, LuaState.Options options, Interruption interruption) {
        MemorySegment L = calls.L;
        lua_pushboolean(L, false);
        int exitSlot = registryRef(L);
        int status = calls.load(L, LibraryChunks.SANDBOX);
        if (status != LUA_OK) {
            throw calls.failure(L, status, "loading the library's Lua code");
        }
        Set<LuaState.Library> hidden = EnumSet.complementOf(EnumSet.copyOf(options.libraries()));
        if (!lua_checkstack(L, 6 + hidden.size())) {
            throw new IllegalStateException("the Lua stack is full");
        }
        lua_pushboolean(L, options.bytecode());
        lua_pushboolean(L, options.nativeModules());
        lua_pushboolean(L, options.processExit());
        lua_pushinteger(L, exitSlot);
        if (interruption != null) {
            interruption.pushGuard(L); // its pcall, xpcall and coroutine.resume pass the interruption on
        } else {
            lua_pushnil(L);
            lua_pushnil(L);
        }
        for (LuaState.Library library : hidden) {
            calls.values.push(L, library.luaName); // hiding one that was never opened does no harm
        }
        status = lua_pcall(L, 6 + hidden.size(), 1, 0);
        if (status != LUA_OK) {
            throw calls.failure(L, status, "making the state's sandbox");
        }
        return new int[] {exitSlot, registryRef(L)};
    }
}
