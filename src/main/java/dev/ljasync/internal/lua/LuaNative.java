package dev.ljasync.internal.lua;

import dev.ljasync.internal.values.JavaObjects;

import dev.ljasync.internal.bindings.LibLuaJit;
import dev.ljasync.internal.bindings.lua_Alloc;
import dev.ljasync.internal.bindings.lua_CFunction;
import dev.ljasync.internal.bindings.lua_Writer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The one place that calls the jextract bindings ({@code dev.ljasync.internal.bindings}); everything else in the
 * library goes through here. It holds the function-like macros of {@code lua.h} and {@code lauxlib.h} that jextract
 * cannot generate, the constants the library uses, and "critical" downcall handles for leaf functions.
 *
 * <p>Critical handles ({@link Linker.Option#critical(boolean)}) skip the thread-state transition and save about a
 * third of a short call. They are used only for functions that can neither run Lua code (metamethods, finalizers),
 * nor allocate (an allocation may run a GC step, and a GC step runs {@code __gc} finalizers), nor raise an error:
 * an upcall from inside a critical downcall is not allowed.
 */
public final class LuaNative {

    private LuaNative() {}

    // Opens the library before any binding is used: the bindings resolve symbols in what it loaded.
    private static final java.nio.file.Path LIBRARY = LuaJitLibrary.file();

    public static final int LUA_MULTRET = LibLuaJit.LUA_MULTRET();
    public static final int LUA_REGISTRYINDEX = LibLuaJit.LUA_REGISTRYINDEX();
    public static final int LUA_GLOBALSINDEX = LibLuaJit.LUA_GLOBALSINDEX();
    public static final int LUA_NOREF = LibLuaJit.LUA_NOREF();
    public static final int LUA_OK = 0;
    public static final int LUA_YIELD = LibLuaJit.LUA_YIELD();
    public static final int LUA_ERRRUN = LibLuaJit.LUA_ERRRUN();
    public static final int LUA_ERRSYNTAX = LibLuaJit.LUA_ERRSYNTAX();
    public static final int LUA_ERRMEM = LibLuaJit.LUA_ERRMEM();
    public static final int LUA_ERRERR = LibLuaJit.LUA_ERRERR();
    public static final int LUA_TNONE = LibLuaJit.LUA_TNONE();
    public static final int LUA_TNIL = LibLuaJit.LUA_TNIL();
    public static final int LUA_TBOOLEAN = LibLuaJit.LUA_TBOOLEAN();
    public static final int LUA_TLIGHTUSERDATA = LibLuaJit.LUA_TLIGHTUSERDATA();
    public static final int LUA_TNUMBER = LibLuaJit.LUA_TNUMBER();
    public static final int LUA_TSTRING = LibLuaJit.LUA_TSTRING();
    public static final int LUA_TFUNCTION = LibLuaJit.LUA_TFUNCTION();
    public static final int LUA_TTABLE = LibLuaJit.LUA_TTABLE();
    public static final int LUA_TUSERDATA = LibLuaJit.LUA_TUSERDATA();
    public static final int LUA_TTHREAD = LibLuaJit.LUA_TTHREAD();
    /** LuaJIT's type of FFI cdata, which lua.h does not name. */
    public static final int LUA_TCDATA = 10;
    public static final int LUA_MINSTACK = LibLuaJit.LUA_MINSTACK();
    /** The most stack slots a C function may ask for (LUAI_MAXCSTACK). */
    public static final int MAX_C_STACK = LibLuaJit.LUAI_MAXCSTACK();
    public static final int LUAJIT_VERSION_NUM = LibLuaJit.LUAJIT_VERSION_NUM();
    /** LUAJIT_VERSION of the headers the bindings were generated from, e.g. "LuaJIT 2.1.0-beta3". */
    public static final String LUAJIT_VERSION = LibLuaJit.LUAJIT_VERSION().getString(0);

    private static final int LUA_GCSTOP = LibLuaJit.LUA_GCSTOP();
    private static final int LUA_GCRESTART = LibLuaJit.LUA_GCRESTART();
    private static final int LUA_GCISRUNNING = LibLuaJit.LUA_GCISRUNNING();

    /** jit.version of the loaded library, e.g. "LuaJIT 2.1.0-beta3". */
    public static final String RUNTIME_VERSION;

    static {
        // Ask the loaded library itself (jit.version, jit.version_num): Debian's build does not export
        // LUAJIT_VERSION_SYM, the symbol luajit.h would name the ABI by.
        MemorySegment L = LibLuaJit.luaL_newstate();
        if (L.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("LuaJIT could not create a state: out of memory");
        }
        try {
            lua_pushcfunction(L, luaopen("jit"));
            if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
                throw new IllegalStateException("LuaJIT's jit library failed to open");
            }
            lua_getglobal(L, "jit");
            getfield(L, -1, "version_num");
            int runtimeNum = Integer.parseInt(lua_tostring(L, -1));
            getfield(L, -2, "version");
            RUNTIME_VERSION = lua_tostring(L, -1);
            if (runtimeNum / 100 != LUAJIT_VERSION_NUM / 100) {
                throw LuaJitLibrary.failure(LuaJitLibrary.file() + " is " + RUNTIME_VERSION + ", but the bindings"
                        + " were generated from the headers of " + LUAJIT_VERSION, null);
            }
        } finally {
            LibLuaJit.lua_close(L);
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static MethodHandle critical(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CRITICAL);
    }

    private static final MethodHandle GETTOP = critical(LibLuaJit.lua_gettop$address(), LibLuaJit.lua_gettop$descriptor());
    private static final MethodHandle SETTOP = critical(LibLuaJit.lua_settop$address(), LibLuaJit.lua_settop$descriptor());
    private static final MethodHandle PUSHVALUE = critical(LibLuaJit.lua_pushvalue$address(), LibLuaJit.lua_pushvalue$descriptor());
    private static final MethodHandle TYPE = critical(LibLuaJit.lua_type$address(), LibLuaJit.lua_type$descriptor());
    private static final MethodHandle TOBOOLEAN = critical(LibLuaJit.lua_toboolean$address(), LibLuaJit.lua_toboolean$descriptor());
    private static final MethodHandle TONUMBER = critical(LibLuaJit.lua_tonumber$address(), LibLuaJit.lua_tonumber$descriptor());
    private static final MethodHandle TOINTEGER = critical(LibLuaJit.lua_tointeger$address(), LibLuaJit.lua_tointeger$descriptor());
    private static final MethodHandle TOUSERDATA = critical(LibLuaJit.lua_touserdata$address(), LibLuaJit.lua_touserdata$descriptor());
    private static final MethodHandle PUSHNIL = critical(LibLuaJit.lua_pushnil$address(), LibLuaJit.lua_pushnil$descriptor());
    private static final MethodHandle PUSHNUMBER = critical(LibLuaJit.lua_pushnumber$address(), LibLuaJit.lua_pushnumber$descriptor());
    private static final MethodHandle PUSHINTEGER = critical(LibLuaJit.lua_pushinteger$address(), LibLuaJit.lua_pushinteger$descriptor());
    private static final MethodHandle PUSHBOOLEAN = critical(LibLuaJit.lua_pushboolean$address(), LibLuaJit.lua_pushboolean$descriptor());
    private static final MethodHandle RAWGETI = critical(LibLuaJit.lua_rawgeti$address(), LibLuaJit.lua_rawgeti$descriptor());
    // lua_next raises only for a key that is not in the table, which the library never passes; it allocates nothing
    private static final MethodHandle NEXT = critical(LibLuaJit.lua_next$address(), LibLuaJit.lua_next$descriptor());
    private static final MethodHandle OBJLEN = critical(LibLuaJit.lua_objlen$address(), LibLuaJit.lua_objlen$descriptor());
    private static final MethodHandle TOPOINTER = critical(LibLuaJit.lua_topointer$address(), LibLuaJit.lua_topointer$descriptor());
    private static final MethodHandle RAWEQUAL = critical(LibLuaJit.lua_rawequal$address(), LibLuaJit.lua_rawequal$descriptor());
    // lua_rawget only reads the table (lj_tab_get): no metamethod, no allocation, no error, whatever the key
    private static final MethodHandle RAWGET = critical(LibLuaJit.lua_rawget$address(), LibLuaJit.lua_rawget$descriptor());
    // lua_gc is critical here only for STOP, RESTART and ISRUNNING, which neither collect nor run finalizers.
    private static final MethodHandle GC_FLAG = critical(LibLuaJit.lua_gc$address(), LibLuaJit.lua_gc$descriptor());

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    /** luaL_newstate: a state with LuaJIT's own allocator, or NULL when out of memory. */
    public static MemorySegment luaL_newstate() {
        return LibLuaJit.luaL_newstate();
    }

    /** lua_newstate with a custom allocator; NULL when the build refuses one (x64 without GC64) or no memory. */
    public static MemorySegment lua_newstate(MemorySegment alloc, MemorySegment userdata) {
        return LibLuaJit.lua_newstate(alloc, userdata);
    }

    public static void lua_close(MemorySegment L) {
        LibLuaJit.lua_close(L);
    }

    /** Makes a lua_Alloc upcall stub that lives as long as {@code arena}. */
    public static MemorySegment allocator(lua_Alloc.Function function, Arena arena) {
        return lua_Alloc.allocate(function, arena);
    }

    /** Makes a lua_CFunction upcall stub that lives as long as {@code arena}. */
    public static MemorySegment cfunction(lua_CFunction.Function function, Arena arena) {
        return lua_CFunction.allocate(function, arena);
    }

    /** Makes a lua_Writer upcall stub that lives as long as {@code arena}. */
    public static MemorySegment writer(lua_Writer.Function function, Arena arena) {
        return lua_Writer.allocate(function, arena);
    }

    /** The address of a standard library's luaopen_* function, by its Lua name ("" for the base library, "ffi", ...). */
    public static MemorySegment luaopen(String library) {
        return switch (library) {
            case "" -> LibLuaJit.luaopen_base$address();
            case "package" -> LibLuaJit.luaopen_package$address();
            case "table" -> LibLuaJit.luaopen_table$address();
            case "io" -> LibLuaJit.luaopen_io$address();
            case "os" -> LibLuaJit.luaopen_os$address();
            case "string" -> LibLuaJit.luaopen_string$address();
            case "math" -> LibLuaJit.luaopen_math$address();
            case "debug" -> LibLuaJit.luaopen_debug$address();
            case "bit" -> LibLuaJit.luaopen_bit$address();
            case "jit" -> LibLuaJit.luaopen_jit$address();
            case "ffi" -> LibLuaJit.luaopen_ffi$address();
            default -> throw new IllegalArgumentException("no standard library named " + library);
        };
    }

    // ---- stack (critical leaf calls) ---------------------------------------------------------------------------

    public static int lua_gettop(MemorySegment L) {
        try { return (int) GETTOP.invokeExact(L); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_settop(MemorySegment L, int idx) {
        try { SETTOP.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    /** lua_pop macro. */
    public static void lua_pop(MemorySegment L, int n) {
        lua_settop(L, -n - 1);
    }

    public static void lua_pushvalue(MemorySegment L, int idx) {
        try { PUSHVALUE.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    public static int lua_type(MemorySegment L, int idx) {
        try { return (int) TYPE.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    public static boolean lua_toboolean(MemorySegment L, int idx) {
        try { return (int) TOBOOLEAN.invokeExact(L, idx) != 0; } catch (Throwable t) { throw rethrow(t); }
    }

    public static double lua_tonumber(MemorySegment L, int idx) {
        try { return (double) TONUMBER.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    public static long lua_tointeger(MemorySegment L, int idx) {
        try { return (long) TOINTEGER.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    public static MemorySegment lua_touserdata(MemorySegment L, int idx) {
        try { return (MemorySegment) TOUSERDATA.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_pushnil(MemorySegment L) {
        try { PUSHNIL.invokeExact(L); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_pushnumber(MemorySegment L, double n) {
        try { PUSHNUMBER.invokeExact(L, n); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_pushinteger(MemorySegment L, long n) {
        try { PUSHINTEGER.invokeExact(L, n); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_pushboolean(MemorySegment L, boolean b) {
        try { PUSHBOOLEAN.invokeExact(L, b ? 1 : 0); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void lua_rawgeti(MemorySegment L, int idx, int n) {
        try { RAWGETI.invokeExact(L, idx, n); } catch (Throwable t) { throw rethrow(t); }
    }

    /** lua_rawget: replaces the key on top with t[key] of the table at idx, without metamethods. idx must be a table. */
    public static void lua_rawget(MemorySegment L, int idx) {
        try { RAWGET.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---- the function-like macros of lua.h and lauxlib.h, which jextract cannot generate ---------------------------
    // They keep LuaJIT's rules: those that index with a string or allocate may run metamethods or raise an error,
    // so outside lua_pcall they are for states whose globals the library controls.

    /** lua_upvalueindex macro. */
    /** lua_next on a table: pops a key, pushes the next key and value; 0 at the end. Only keys of the table. */
    public static int lua_next(MemorySegment L, int idx) {
        try { return (int) NEXT.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    /**
     * lua_objlen: a table's border ({@code #t} without metamethods), a userdata's block size, a string's length.
     * Never on a number, which would convert in place.
     */
    public static long lua_objlen(MemorySegment L, int idx) {
        try { return (long) OBJLEN.invokeExact(L, idx); } catch (Throwable t) { throw rethrow(t); }
    }

    /** lua_topointer: the address of the object at idx (a table, function, thread, userdata, string), else 0. */
    public static long lua_topointer(MemorySegment L, int idx) {
        try { return ((MemorySegment) TOPOINTER.invokeExact(L, idx)).address(); } catch (Throwable t) { throw rethrow(t); }
    }

    /** lua_rawequal: whether two values are the same without metamethods. */
    public static boolean lua_rawequal(MemorySegment L, int idx1, int idx2) {
        try { return (int) RAWEQUAL.invokeExact(L, idx1, idx2) != 0; } catch (Throwable t) { throw rethrow(t); }
    }

    public static int lua_upvalueindex(int i) {
        return LUA_GLOBALSINDEX - i;
    }

    /** lua_isnil macro. */
    public static boolean lua_isnil(MemorySegment L, int idx) {
        return lua_type(L, idx) == LUA_TNIL;
    }

    /** lua_isnoneornil macro. */
    public static boolean lua_isnoneornil(MemorySegment L, int idx) {
        return lua_type(L, idx) <= 0;
    }

    /** lua_isfunction macro. */
    public static boolean lua_isfunction(MemorySegment L, int idx) {
        return lua_type(L, idx) == LibLuaJit.LUA_TFUNCTION();
    }

    /** lua_istable macro. */
    public static boolean lua_istable(MemorySegment L, int idx) {
        return lua_type(L, idx) == LibLuaJit.LUA_TTABLE();
    }

    /** lua_newtable macro: lua_createtable(L, 0, 0). */
    public static void lua_newtable(MemorySegment L) {
        LibLuaJit.lua_createtable(L, 0, 0);
    }

    /** lua_strlen macro: lua_objlen. */
    public static long lua_strlen(MemorySegment L, int idx) {
        return LibLuaJit.lua_objlen(L, idx);
    }

    /** lua_getglobal macro: lua_getfield(L, LUA_GLOBALSINDEX, name). */
    public static void lua_getglobal(MemorySegment L, String name) {
        getfield(L, LUA_GLOBALSINDEX, name);
    }

    /** lua_getfield with a Java name: pushes t[name] of the table at idx (metamethods apply). */
    public static void lua_getfield(MemorySegment L, int idx, String name) {
        getfield(L, idx, name);
    }

    /** lua_setglobal macro: lua_setfield(L, LUA_GLOBALSINDEX, name); pops the value. */
    public static void lua_setglobal(MemorySegment L, String name) {
        lua_setfield(L, LUA_GLOBALSINDEX, name);
    }

    /** lua_setfield with a Java name: t[name] = the value on top, for the table at idx; pops the value. */
    public static void lua_setfield(MemorySegment L, int idx, String name) {
        try (Arena arena = Arena.ofConfined()) {
            LibLuaJit.lua_setfield(L, idx, arena.allocateFrom(name));
        }
    }

    /** lua_register macro: lua_pushcfunction then lua_setglobal. */
    public static void lua_register(MemorySegment L, String name, MemorySegment function) {
        lua_pushcfunction(L, function);
        lua_setglobal(L, name);
    }

    /** lua_tostring macro: lua_tolstring(L, idx, NULL), decoded as UTF-8; null when the value is no string or number. */
    public static String lua_tostring(MemorySegment L, int idx) {
        MemorySegment chars = LibLuaJit.lua_tolstring(L, idx, MemorySegment.NULL);
        return chars.equals(MemorySegment.NULL) ? null : chars.reinterpret(Integer.MAX_VALUE).getString(0);
    }

    /** lua_getregistry macro. */
    public static void lua_getregistry(MemorySegment L) {
        lua_pushvalue(L, LUA_REGISTRYINDEX);
    }

    /** lua_getgccount macro: kilobytes in use. */
    public static int lua_getgccount(MemorySegment L) {
        return LibLuaJit.lua_gc(L, LibLuaJit.LUA_GCCOUNT(), 0);
    }

    /** luaL_typename macro: the name of the type of the value at idx. */
    public static String luaL_typename(MemorySegment L, int idx) {
        return LibLuaJit.lua_typename(L, lua_type(L, idx)).reinterpret(64).getString(0);
    }

    /** luaL_getmetatable macro: pushes the metatable registered under name. */
    public static void luaL_getmetatable(MemorySegment L, String name) {
        getfield(L, LUA_REGISTRYINDEX, name);
    }

    /** luaL_dostring macro: luaL_loadstring, then lua_pcall with LUA_MULTRET; 0 when both succeed. */
    public static int luaL_dostring(MemorySegment L, String source) {
        int status;
        try (Arena arena = Arena.ofConfined()) {
            status = LibLuaJit.luaL_loadstring(L, arena.allocateFrom(source));
        }
        return status != LUA_OK ? status : lua_pcall(L, 0, LUA_MULTRET, 0);
    }

    private static void getfield(MemorySegment L, int idx, String name) {
        try (Arena arena = Arena.ofConfined()) {
            LibLuaJit.lua_getfield(L, idx, arena.allocateFrom(name));
        }
    }

    // ---- garbage collector pause ---------------------------------------------------------------------------------

    /**
     * Stops the collector if it runs, and says whether it did. Used around every allocation made outside a protected
     * call (pushing strings from Java, results of a Java function): an allocation may run a GC step, a GC step runs
     * {@code __gc} finalizers, and an error in a finalizer would reach the panic handler (or unwind through Java).
     */
    public static boolean gcPause(MemorySegment L) {
        try {
            if ((int) GC_FLAG.invokeExact(L, LUA_GCISRUNNING, 0) == 0) return false;
            int ignored = (int) GC_FLAG.invokeExact(L, LUA_GCSTOP, 0);
            return true;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Restarts the collector that {@link #gcPause} stopped; it is due for a step at the next allocation. */
    public static void gcResume(MemorySegment L, boolean paused) {
        if (!paused) return;
        try { int ignored = (int) GC_FLAG.invokeExact(L, LUA_GCRESTART, 0); } catch (Throwable t) { throw rethrow(t); }
    }

    /**
     * Restarts the collector at its normal pace (LuaJIT's {@code LUA_GCRESTART} with -1: the next cycle when the heap
     * has grown by the pause factor), for the end of a long stretch of work done with it stopped.
     */
    public static void gcRestartPaced(MemorySegment L) {
        try { int ignored = (int) GC_FLAG.invokeExact(L, LUA_GCRESTART, -1); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Bytes in use by the state's heap: lua_gc(LUA_GCCOUNT) kilobytes plus lua_gc(LUA_GCCOUNTB) bytes. */
    public static long memoryUsed(MemorySegment L) {
        return LibLuaJit.lua_gc(L, LibLuaJit.LUA_GCCOUNT(), 0) * 1024L + LibLuaJit.lua_gc(L, LibLuaJit.LUA_GCCOUNTB(), 0);
    }

    // ---- calls that may allocate, run Lua code or raise (never critical) ---------------------------------------

    public static boolean lua_checkstack(MemorySegment L, int extra) {
        return LibLuaJit.lua_checkstack(L, extra) != 0;
    }

    public static void lua_pushlstring(MemorySegment L, MemorySegment s, long length) {
        LibLuaJit.lua_pushlstring(L, s, length);
    }

    public static void lua_pushlightuserdata(MemorySegment L, MemorySegment p) {
        LibLuaJit.lua_pushlightuserdata(L, p);
    }

    public static void lua_pushcclosure(MemorySegment L, MemorySegment fn, int upvalues) {
        LibLuaJit.lua_pushcclosure(L, fn, upvalues);
    }

    /** lua_pushcfunction macro. */
    public static void lua_pushcfunction(MemorySegment L, MemorySegment fn) {
        lua_pushcclosure(L, fn, 0);
    }

    /** lua_tolstring; {@code length} receives the size_t length. Call it on strings only (numbers convert in place). */
    public static MemorySegment lua_tolstring(MemorySegment L, int idx, MemorySegment length) {
        return LibLuaJit.lua_tolstring(L, idx, length);
    }

    public static int luaL_loadbufferx(MemorySegment L, MemorySegment buffer, long size, MemorySegment name,
                                       MemorySegment mode) {
        return LibLuaJit.luaL_loadbufferx(L, buffer, size, name, mode);
    }

    public static int lua_pcall(MemorySegment L, int nargs, int nresults, int errfunc) {
        return LibLuaJit.lua_pcall(L, nargs, nresults, errfunc);
    }

    /** lua_replace: pops the top value into idx. */
    public static void lua_replace(MemorySegment L, int idx) {
        LibLuaJit.lua_replace(L, idx);
    }

    /** lua_getupvalue: the name of upvalue n (pushing its value), or NULL when there is no such upvalue. */
    public static MemorySegment lua_getupvalue(MemorySegment L, int funcindex, int n) {
        return LibLuaJit.lua_getupvalue(L, funcindex, n);
    }

    /** lua_setfenv: pops a table and makes it the environment of the function at idx. Never allocates. */
    public static void lua_setfenv(MemorySegment L, int idx) {
        LibLuaJit.lua_setfenv(L, idx);
    }

    /** lua_rawseti: pops a value into t[n] without metamethods; allocates only when the key is new. */
    public static void lua_rawseti(MemorySegment L, int idx, int n) {
        LibLuaJit.lua_rawseti(L, idx, n);
    }

    /** lua_createtable; allocates (call it with the collector paused). */
    public static void lua_createtable(MemorySegment L, int narr, int nrec) {
        LibLuaJit.lua_createtable(L, narr, nrec);
    }

    /** lua_rawset: pops a key and a value into the table at idx without metamethods. Never a nil or NaN key. */
    public static void lua_rawset(MemorySegment L, int idx) {
        LibLuaJit.lua_rawset(L, idx);
    }

    public static int lua_dump(MemorySegment L, MemorySegment writer, MemorySegment data) {
        return LibLuaJit.lua_dump(L, writer, data);
    }

    /** luaJIT_setmode's mode for turning the JIT compiler of the whole state off (and flushing what it compiled). */
    public static final int LUAJIT_MODE_ENGINE_OFF = LibLuaJit.LUAJIT_MODE_ENGINE() | LibLuaJit.LUAJIT_MODE_OFF();

    public static int luaJIT_setmode(MemorySegment L, int idx, int mode) {
        return LibLuaJit.luaJIT_setmode(L, idx, mode);
    }

    /** lua_insert: moves the top value to idx, shifting the values above it up. */
    public static void lua_insert(MemorySegment L, int idx) {
        LibLuaJit.lua_insert(L, idx);
    }

    /** lua_remove: removes the value at idx, shifting the values above it down. */
    public static void lua_remove(MemorySegment L, int idx) {
        LibLuaJit.lua_remove(L, idx);
    }

    /** luaL_ref on the registry: pops the top value and returns a reference to it. */
    public static int registryRef(MemorySegment L) {
        return LibLuaJit.luaL_ref(L, LUA_REGISTRYINDEX);
    }

    /** luaL_unref on the registry: frees reference {@code ref}, which may then be handed out again. */
    public static void registryUnref(MemorySegment L, int ref) {
        LibLuaJit.luaL_unref(L, LUA_REGISTRYINDEX, ref);
    }

    // ---- full userdata: the Java objects of JavaObjects ---------------------------------------------------------

    // Runs no Lua code and allocates nothing: critical, as on the path of every method call.
    private static final MethodHandle GETMETATABLE = critical(LibLuaJit.lua_getmetatable$address(), LibLuaJit.lua_getmetatable$descriptor());

    /** lua_newuserdata: pushes a new full userdata of {@code size} bytes and returns its block. Allocates. */
    public static MemorySegment lua_newuserdata(MemorySegment L, long size) {
        return LibLuaJit.lua_newuserdata(L, size).reinterpret(size);
    }

    /** lua_setmetatable: pops a table and makes it the metatable of the value at idx. */
    public static void lua_setmetatable(MemorySegment L, int idx) {
        LibLuaJit.lua_setmetatable(L, idx);
    }

    /** lua_getmetatable: pushes the metatable of the value at idx and returns true, or pushes nothing and returns false. */
    public static boolean lua_getmetatable(MemorySegment L, int idx) {
        try { return (int) GETMETATABLE.invokeExact(L, idx) != 0; } catch (Throwable t) { throw rethrow(t); }
    }
}
