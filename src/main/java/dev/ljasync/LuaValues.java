package dev.ljasync;

import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.values.LuaToJava;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the public API adds to one state's conversions ({@link JavaValues.Bridge}): references to its Lua values
 * ({@link LuaValue}), objects passed as {@link JavaObject}s, the handles of sync objects, and 64-bit integer cdata, through values.lua's helpers (loaded
 * the first time one is needed). Reaches the state's Java object only weakly: while a conversion runs, its caller
 * holds the state.
 */
final class LuaValues implements JavaValues.Bridge {

    /** values.lua's helpers, in the order it returns them. */
    static final int INDEX = 0, NEWINDEX = 1, LENGTH = 2, RESUME = 3, STATUS = 4, COROUTINE = 5, CDATA_KIND = 6,
            INT64_FROM = 7, NUMBERS = 8, PACK = 9, HELPERS = 10;

    private final WeakReference<LuaState> owner;
    private final StateLifetime lifetime;
    private final MemorySegment bits; // 8 bytes that values.lua's integer helpers read and write
    private CallPath calls;
    private int[] helpers; // registry references, once loaded

    LuaValues(LuaState owner, StateLifetime lifetime, Arena memory) {
        this.owner = new WeakReference<>(owner);
        this.lifetime = lifetime;
        this.bits = memory.allocate(JAVA_LONG);
    }

    /** Sets the call path, made after this object; once, as the state is opened. */
    void calls(CallPath calls) {
        this.calls = calls;
    }

    CallPath calls() {
        return calls;
    }

    @Override
    public boolean push(MemorySegment L, Object value) {
        switch (value) {
            case LuaValue reference -> reference.pushInto(L, this);
            case JavaObject object -> calls.values.push(L, object.luaValue()); // a userdata, whatever the object
            case Channel channel -> lua_pushnumber(L, channel.handle());
            case Mutex mutex -> lua_pushnumber(L, mutex.handle());
            case Semaphore semaphore -> lua_pushnumber(L, semaphore.handle());
            case SharedTable table -> lua_pushnumber(L, table.handle());
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    public Object reference(MemorySegment L, int idx, int type) {
        return hold(L, idx, type);
    }

    @Override
    public Object proxy(Object implementation, Class<?>[] interfaces) {
        if (!(implementation instanceof LuaValue value)) {
            throw new IllegalArgumentException("a " + LuaToJava.describe(implementation)
                    + " cannot implement an interface; a function or a table can");
        }
        return LuaProxies.proxy(value, interfaces);
    }

    /** A new reference to the value at absolute index {@code idx}, of Lua type {@code type}. */
    LuaValue hold(MemorySegment L, int idx, int type) {
        LuaState state = owner.get();
        if (state == null) {
            throw new IllegalStateException("the LuaState was collected");
        }
        boolean scalar = type == LUA_TBOOLEAN || type == LUA_TNUMBER || type == LUA_TLIGHTUSERDATA;
        long identity = scalar ? 0 : lua_topointer(L, idx);
        Object value = scalar ? calls.values.toJava(L, idx) : null;
        lua_pushvalue(L, idx);
        boolean paused = gcPause(L); // the registry may grow
        int ref;
        try {
            ref = registryRef(L);
        } finally {
            gcResume(L, paused);
        }
        return new LuaValue(state, this, ref, LuaValue.Type.of(type), identity, value);
    }

    /** The first result of a call as a reference (null for nil or none); a {@link CallPath.Results}. */
    LuaValue first(MemorySegment L, int first, String what) {
        if (lua_gettop(L) < first || lua_type(L, first) == LUA_TNIL) {
            return null;
        }
        return hold(L, first, lua_type(L, first));
    }

    @Override
    public Object integer(MemorySegment L, int idx) {
        int top = lua_gettop(L);
        if (!lua_checkstack(L, 4)) {
            return null;
        }
        pushHelper(L, CDATA_KIND);
        lua_pushvalue(L, idx);
        lua_pushlightuserdata(L, bits);
        try {
            if (runHelper(L, 2) != LUA_OK) {
                return null;
            }
            long kind = lua_tointeger(L, -1);
            long value = bits.get(JAVA_LONG, 0);
            return kind == 1 ? (Object) value : kind == 2 ? JavaValues.unsigned(value) : null;
        } finally {
            lua_settop(L, top);
        }
    }

    @Override
    public boolean numbers(MemorySegment L, int idx, long n, MemorySegment into) {
        int top = lua_gettop(L);
        if (!lua_checkstack(L, 5)) {
            return false;
        }
        pushHelper(L, NUMBERS);
        lua_pushvalue(L, idx);
        lua_pushlightuserdata(L, into);
        lua_pushnumber(L, n);
        try {
            return runHelper(L, 3) == LUA_OK && lua_toboolean(L, -1);
        } finally {
            lua_settop(L, top);
        }
    }

    @Override
    public void pushInteger(MemorySegment L, long value, boolean unsigned) {
        int top = lua_gettop(L);
        if (!lua_checkstack(L, 4)) {
            throw new IllegalArgumentException("the Lua stack is full");
        }
        pushHelper(L, INT64_FROM);
        lua_pushlightuserdata(L, bits);
        lua_pushboolean(L, unsigned);
        bits.set(JAVA_LONG, 0, value);
        if (runHelper(L, 2) != LUA_OK) {
            String why = calls.values.toJava(L, -1) instanceof String s ? s : "it could not be made";
            lua_settop(L, top);
            throw new IllegalArgumentException((unsigned ? Long.toUnsignedString(value) : Long.toString(value))
                    + " is beyond 2^53, where Lua numbers (doubles) stop being exact, and " + why);
        }
    }

    /**
     * Calls the helper pushed below its {@code nargs} arguments for one result, with the collector paused: no
     * {@code __gc} finalizer may run while a table that holds the value is being read (Lua code could change it under
     * the {@code lua_next} of its copy), nor in the middle of a push.
     */
    private static int runHelper(MemorySegment L, int nargs) {
        boolean paused = gcPause(L);
        try {
            return lua_pcall(L, nargs, 1, 0);
        } finally {
            gcResume(L, paused);
        }
    }

    /** Pushes values.lua's helper {@code which}, loading values.lua the first time. Room for two values is made. */
    void pushHelper(MemorySegment L, int which) {
        if (helpers == null) {
            helpers = load(L);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, helpers[which]);
    }

    private int[] load(MemorySegment L) {
        int top = lua_gettop(L);
        if (!lua_checkstack(L, HELPERS + 2)) {
            throw new IllegalStateException("the Lua stack is full");
        }
        boolean paused = gcPause(L);
        try {
            int status = calls.load(L, LibraryChunks.VALUES);
            if (status == LUA_OK) {
                calls.useLibraryEnvironment(L);
                status = lua_pcall(L, 0, HELPERS, 0);
            }
            if (status != LUA_OK) {
                throw calls.failure(L, status, "loading the library's Lua code");
            }
            int[] refs = new int[HELPERS];
            for (int i = HELPERS - 1; i >= 0; i--) {
                refs[i] = registryRef(L);
            }
            return refs;
        } finally {
            gcResume(L, paused);
            lua_settop(L, top);
        }
    }

    /** Queues a reference to be freed once {@code value} is unreachable; see {@link StateLifetime}. */
    java.lang.ref.Cleaner.Cleanable freeWhenUnreachable(LuaValue value, int ref) {
        return lifetime.unrefWhenUnreachable(value, ref, null);
    }
}
