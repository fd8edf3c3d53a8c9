package dev.ljasync;

import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * Makes the {@link LuaState#function} handles of one state: looks the function up, binds it to a frame through
 * callback.lua, and keeps one {@link Binding} per signature. Used by the thread holding the state; the per-call path
 * of a handle is {@link TypedCall}.
 */
final class TypedCalls {

    private final CallPath calls;
    private final StateLifetime lifetime;
    private final int lookupRef; // state.lua's lookup(n, parts...)
    // per signature of function(...) handles: its type, invoker and binder, made once (see Binding)
    private final Map<Object, Binding> bindings = new HashMap<>();

    TypedCalls(CallPath calls, StateLifetime lifetime, int lookupRef) {
        this.calls = calls;
        this.lifetime = lifetime;
        this.lookupRef = lookupRef;
    }

    /**
     * What every {@link LuaState#function} handle of one signature shares in a state: its type, the invoker that the
     * handle binds to its {@link TypedCall}, and callback.lua's {@code entryAt(frame, function)}, made once: each FFI
     * struct type takes ctype ids for good, of which LuaJIT has 65,536.
     */
    private record Binding(CallbackType type, MethodHandle invoker, int entryAtRef) {}

    /**
     * A handle of {@code owner}'s function {@code name}, typed by {@code signature} ({@code parse} makes its type the
     * first time); the handle keeps {@code owner} open.
     */
    MethodHandle handle(LuaState owner, String name, Object signature, Supplier<CallbackType> parse) {
        return calls.locked(owner, () -> {
            Binding binding = bindings.get(signature);
            CallbackType type = binding != null ? binding.type() : parse.get();
            CallbackType.Frame layout = type.frame();
            MemorySegment frame = lifetime.frame(layout.size());
            MemorySegment L = calls.running;
            int base = lua_gettop(L);
            int ref;
            try {
                calls.pushAll(new Object[0], true);
                int status = LUA_OK;
                if (binding != null) {
                    // [handler, entryAt, frame]: entryAt(frame, function) -> entry, once the function is pushed
                    lua_rawgeti(L, LUA_REGISTRYINDEX, binding.entryAtRef());
                    calls.pushAll(new Object[] {frame}, false);
                } else {
                    status = calls.load(L, LibraryChunks.CALLBACK);
                    if (status == LUA_OK) {
                        calls.useLibraryEnvironment(L);
                        Object[] setup = layout.setupArgs(frame);
                        calls.pushAll(setup, false);
                        status = calls.pcall(L, setup.length, 2, base + 1); // -> bind, entryAt
                    }
                    if (status == LUA_OK) {
                        MethodHandle invoker = layout.invoker(type.descriptor().toMethodType(), TypedCall.ENTER,
                                TypedCall.RUN, TypedCall.FRAME_OF);
                        boolean paused = gcPause(L);
                        try {
                            binding = new Binding(type, invoker, registryRef(L)); // [handler, bind]
                        } finally {
                            gcResume(L, paused);
                        }
                        bindings.put(signature, binding);
                    }
                }
                if (status == LUA_OK) {
                    boolean paused = gcPause(L);
                    int nargs;
                    try {
                        nargs = calls.pushHelper(L, lookupRef, name);
                    } finally {
                        gcResume(L, paused);
                    }
                    status = calls.pcall(L, nargs, 1, base + 1); // -> the function
                }
                if (status != LUA_OK) {
                    throw calls.failure(L, status, "looking up '" + name + "'");
                }
                if (lua_type(L, -1) != LUA_TFUNCTION) {
                    throw new LuaException(LuaException.Kind.RUNTIME, "'" + name + "' is not a function but a "
                            + JavaValues.typeName(lua_type(L, -1)) + " value", "", null);
                }
                status = calls.pcall(L, lua_gettop(L) - base - 2, 1, base + 1); // bind or entryAt -> entry
                if (status != LUA_OK) {
                    throw calls.failure(L, status, "binding '" + name + "'");
                }
                boolean paused = gcPause(L);
                try {
                    ref = registryRef(L);
                } finally {
                    gcResume(L, paused);
                }
            } catch (RuntimeException | Error e) {
                lifetime.reuse(frame);
                throw e;
            } finally {
                lua_settop(L, base);
            }
            TypedCall call = new TypedCall(owner, calls, layout, frame, ref, name);
            // Once the handle is dropped, its entry's reference is freed by the next thread to take this state, and
            // its frame is used again after that.
            lifetime.unrefWhenUnreachable(call, ref, frame);
            return binding.invoker().bindTo(call);
        });
    }
}
