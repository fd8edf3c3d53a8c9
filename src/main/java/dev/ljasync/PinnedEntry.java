package dev.ljasync;

import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * A callback's state: one pinned entry function with the message handler below it, set up once and then called
 * with no arguments. Used only by CallbackStates, which owns such states and gives each call exclusive use of one;
 * nothing else runs in them.
 */
final class PinnedEntry {

    /** The stack index of the message handler and of the entry while the state serves a callback. */
    private static final int PINNED_HANDLER = 1, PINNED_ENTRY = 2;

    /**
     * Modes of {@link #pin} besides a chunk's ("t", "bt"): the chunk is a payload of ljasync.copy, a function copied
     * from another state, which serves calls itself ({@code COPIED}) or, called with the values copied with it and
     * the init args, returns the function that does ({@code COPIED_INIT}: lj-async's fork's init function), or
     * serves calls with the values copied with it before the call's own arguments ({@code COPIED_BOUND}).
     */
    static final String COPIED = "copied", COPIED_INIT = "copied-init", COPIED_BOUND = "copied-bound";

    private PinnedEntry() {}

    /**
     * Makes the state of {@code calls} serve a callback: runs callback.lua with {@code setupArgs}, then the user's
     * chunk with {@code initArgs} (or makes the function copied from another state: see {@link #COPIED}); the
     * chunk's result must be a function, which callback.lua turns into the entry,
     * after the library's {@code adapter} chunk (when not null) has wrapped it. Leaves the stack as [message handler,
     * entry]. {@code owner}, the state's Java object, as for {@link CallPath#locked}.
     *
     * @throws IllegalArgumentException when the chunk is bytecode of a function with upvalues, or does not return
     *                                  a function
     * @throws LuaException             when the chunk does not compile or fails
     */
    static void pin(Object owner, CallPath calls, byte[] chunk, String chunkName, String mode, Object[] initArgs,
                    Object[] setupArgs, LibraryChunks.Chunk adapter, Object[] adapterArgs) {
        MemorySegment L = calls.L;
        calls.locked(owner, () -> {
            lua_settop(L, 0);
            try {
                calls.pushAll(new Object[0], true);
                int status = calls.load(L, LibraryChunks.CALLBACK);
                if (status == LUA_OK) {
                    calls.useLibraryEnvironment(L);
                    calls.pushAll(setupArgs, false);
                    status = lua_pcall(L, setupArgs.length, 1, PINNED_HANDLER);
                }
                if (status != LUA_OK) {
                    throw calls.failure(L, status, "setting up the callback's state");
                }
                int chunkIndex = PINNED_ENTRY + 1;
                boolean copied = mode.startsWith(COPIED);
                if (copied) {
                    // the copied function and the values copied with it: [f, values...]
                    status = calls.load(L, LibraryChunks.COPIED);
                    if (status == LUA_OK) {
                        calls.useLibraryEnvironment(L);
                        calls.values.push(L, chunk);
                        lua_pushboolean(L, mode.equals(COPIED_BOUND));
                        status = calls.pcall(L, 2, LUA_MULTRET, PINNED_HANDLER);
                    }
                } else {
                    status = calls.load(L, chunk, CallPath.chunkId(chunkName), mode);
                }
                if (status != LUA_OK) {
                    throw calls.failure(L, status, copied ? "copying the function into the callback's state" : null);
                }
                if (!copied) {
                    refuseUpvalues(L, chunkIndex);
                }
                if (!mode.equals(COPIED) && !mode.equals(COPIED_BOUND)) {
                    // a chunk, or an init function: called with the values, it returns the function
                    calls.pushAll(initArgs, false);
                    status = calls.pcall(L, lua_gettop(L) - chunkIndex, LUA_MULTRET, PINNED_HANDLER); // memory limit
                    Reference.reachabilityFence(initArgs); // as in CallPath.execute
                    if (status != LUA_OK) {
                        throw calls.failure(L, status, null);
                    }
                }
                if (lua_gettop(L) < chunkIndex || lua_type(L, chunkIndex) != LUA_TFUNCTION) {
                    String got = lua_gettop(L) < chunkIndex ? "nothing"
                            : "a " + JavaValues.typeName(lua_type(L, chunkIndex)) + " value";
                    throw new IllegalArgumentException(mode.equals(COPIED_INIT)
                            ? "an init function (called with the init args) must return the callback function, but"
                              + " it returned " + got
                            : "a callback's chunk must return the callback function, but chunk '" + chunkName
                              + "' returned " + got);
                }
                lua_settop(L, chunkIndex);
                if (adapter != null) {
                    // adapter(fn, adapterArgs...) -> the function the entry calls instead of fn
                    status = calls.load(L, adapter);
                    if (status == LUA_OK) {
                        calls.useLibraryEnvironment(L);
                        lua_pushvalue(L, chunkIndex);
                        calls.pushAll(adapterArgs, false);
                        status = lua_pcall(L, 1 + adapterArgs.length, 1, PINNED_HANDLER);
                    }
                    if (status != LUA_OK) {
                        throw calls.failure(L, status, "adapting the callback's function");
                    }
                    lua_replace(L, chunkIndex);
                }
                status = lua_pcall(L, 1, 1, PINNED_HANDLER); // bind(fn) -> entry, at PINNED_ENTRY
                if (status != LUA_OK) {
                    throw calls.failure(L, status, "setting up the callback's state");
                }
                return null;
            } catch (RuntimeException | Error e) {
                lua_settop(L, 0);
                throw e;
            }
        });
    }

    /**
     * Calls the pinned entry. The caller has this state to itself; the stack is back to two slots on success.
     *
     * @throws LuaException when the thread has too little stack left to enter Lua
     */
    static int call(CallPath calls) {
        MemorySegment L = calls.L;
        calls.checkStack();
        lua_pushvalue(L, PINNED_ENTRY);
        return calls.pcall(L, 0, 0, PINNED_HANDLER); // with the memory limit
    }

    /** The error of a failed {@link #call}, which is left on the stack; restores the stack. */
    static LuaException failure(CallPath calls, int status) {
        MemorySegment L = calls.L;
        try {
            return calls.failure(L, status, null);
        } finally {
            lua_settop(L, PINNED_ENTRY);
        }
    }

    /**
     * Bytecode dumped from a function that had upvalues loads with those upvalues nil: refuse it rather than let it
     * fail later in a confusing way. (A chunk compiled from source never has any.)
     */
    private static void refuseUpvalues(MemorySegment L, int function) {
        List<String> names = new ArrayList<>();
        MemorySegment name;
        while (!(name = lua_getupvalue(L, function, names.size() + 1)).equals(MemorySegment.NULL)) {
            String text = name.reinterpret(Long.MAX_VALUE).getString(0);
            names.add(text.isEmpty() ? "?" : text);
            lua_pop(L, 1);
        }
        if (!names.isEmpty()) {
            throw new IllegalArgumentException("a callback's chunk must be a function without upvalues (they cannot"
                    + " cross into a new state), but this bytecode has " + names.size() + ": " + String.join(", ", names)
                    + "; pass such values as init args instead");
        }
    }
}
