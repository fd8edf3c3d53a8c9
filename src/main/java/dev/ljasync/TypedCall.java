package dev.ljasync;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Reference;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * The per-call path of a {@link LuaState#function} handle: {@code enter} takes the state's lock, the arguments go into
 * the frame, {@code run} calls the entry with the message handler below it and releases the lock.
 */
final class TypedCall {
    static final MethodHandle ENTER, RUN, FRAME_OF;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ENTER = lookup.findVirtual(TypedCall.class, "enter", MethodType.methodType(TypedCall.class));
            RUN = lookup.findVirtual(TypedCall.class, "run", MethodType.methodType(long.class, TypedCall.class));
            FRAME_OF = lookup.findVirtual(TypedCall.class, "frame", MethodType.methodType(MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LuaState state; // a handle keeps its state open
    private final CallPath calls;
    private final CallbackType.Frame layout;
    private final MemorySegment frame;
    private final int entryRef;
    private final String name;

    TypedCall(LuaState state, CallPath calls, CallbackType.Frame layout, MemorySegment frame, int entryRef,
              String name) {
        this.state = state;
        this.calls = calls;
        this.layout = layout;
        this.frame = frame;
        this.entryRef = entryRef;
        this.name = name;
    }

    MemorySegment frame() {
        return frame;
    }

    TypedCall enter() {
        calls.enter();
        return this;
    }

    long run(TypedCall self) {
        CallPath s = calls;
        try {
            MemorySegment L = s.running;
            // Two pushes, no room check: the stack of a state between calls, and of a C function's coroutine,
            // always has LUA_MINSTACK free slots, and these pushes do not allocate; unless a push in progress below
            // ran the Java code that made this call.
            if (s.pushing > 0 && !lua_checkstack(L, 2)) {
                throw new IllegalStateException("the Lua stack is full");
            }
            lua_rawgeti(L, LUA_REGISTRYINDEX, s.handlerRef);
            lua_rawgeti(L, LUA_REGISTRYINDEX, entryRef);
            int status = s.pcall(L, 0, 0, -2);
            if (status != LUA_OK) {
                LuaException e = s.failure(L, status, null);
                lua_pop(L, 1);
                throw e;
            }
            lua_pop(L, 1);
            return layout.readResult(frame);
        } finally {
            s.leave();
            Reference.reachabilityFence(state); // as CallPath.locked's owner
        }
    }

    @Override
    public String toString() {
        return "LuaState.function[" + name + "]";
    }
}
