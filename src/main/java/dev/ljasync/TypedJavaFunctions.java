package dev.ljasync;

import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.WrongMethodTypeException;
import java.lang.ref.WeakReference;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The {@link LuaState#register(String, String, MethodHandle)} functions of one state: Java methods behind upcall
 * stubs of a C type, which Lua code calls through the FFI (typed_java.lua makes the Lua side), so that LuaJIT
 * compiles each call into its traces. Such a call runs Java inside an FFI call, where Lua must not be entered again
 * and no Lua error may be raised: while one runs, the state refuses calls ({@link CallPath#enter}), and an exception
 * sets the state's failure flag, which the Lua side looks at once the call has returned. Used by the thread holding
 * the state.
 */
final class TypedJavaFunctions {

    private static final MethodHandle HELD, ENTER, LEAVE, FAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HELD = lookup.findVirtual(Guard.class, "held", MethodType.methodType(boolean.class));
            ENTER = lookup.findVirtual(Guard.class, "enter", MethodType.methodType(void.class));
            LEAVE = lookup.findVirtual(Guard.class, "leave", MethodType.methodType(void.class));
            FAIL = lookup.findVirtual(Guard.class, "fail", MethodType.methodType(void.class, Throwable.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CallPath calls;
    private final JavaFunctions javaFunctions;
    private final StateLifetime lifetime;
    private MemorySegment flag; // an int32_t, non-zero while a failure waits to be raised; made when first needed
    private Throwable failure; // what the last failed call threw, until the Lua side raises it
    private final Guard guard = new Guard(this);

    TypedJavaFunctions(CallPath calls, JavaFunctions javaFunctions, StateLifetime lifetime) {
        this.calls = calls;
        this.javaFunctions = javaFunctions;
        this.lifetime = lifetime;
    }

    /**
     * Pushes what typed_java.lua makes of {@code target} for the C type {@code type}: the Lua function, on top of the
     * stack of {@code L}. Holding the lock, with the room and the collector as {@link CallPath#execute}'s callee has.
     */
    void push(MemorySegment L, String name, CallbackType type, MethodHandle target) {
        MethodType expected = type.descriptor().toMethodType();
        MethodHandle adapted;
        try {
            adapted = target.asType(expected);
        } catch (WrongMethodTypeException e) {
            throw new IllegalArgumentException("the Java function '" + name + "' is a " + target.type()
                    + ", which the C type " + type + " cannot call: it calls a " + expected, e);
        }
        if (!lua_checkstack(L, 8)) {
            throw new IllegalStateException("the Lua stack is full");
        }
        if (flag == null) {
            flag = lifetime.frame(JAVA_INT.byteSize());
        }
        MemorySegment stub = Linker.nativeLinker().upcallStub(guarded(adapted), type.descriptor(), lifetime.stubs());
        int base = lua_gettop(L);
        int status = calls.load(L, LibraryChunks.TYPED_JAVA);
        if (status == LUA_OK) {
            calls.useLibraryEnvironment(L);
            calls.values.push(L, type.ffiName());
            lua_pushlightuserdata(L, stub);
            lua_pushlightuserdata(L, flag);
            javaFunctions.pushPrivate(L, "Java function '" + name + "'", args -> {
                Throwable thrown = failure;
                failure = null;
                flag.set(JAVA_INT, 0, 0);
                if (thrown == null) {
                    return null; // no failure waits: the Lua side raises nothing
                } else if (thrown instanceof Exception e) {
                    throw e;
                } else if (thrown instanceof Error e) {
                    throw e;
                }
                throw new RuntimeException(thrown);
            });
            lua_pushinteger(L, expected.parameterCount());
            lua_pushboolean(L, expected.returnType() == void.class);
            status = calls.pcall(L, 6, 1, 0);
        }
        if (status != LUA_OK) {
            LuaException e = calls.failure(L, status, "making the Lua function of '" + name + "'");
            lua_settop(L, base);
            throw e;
        }
    }

    /**
     * The stub's body: {@code target} between {@link #enter} and {@link #leave}, and for any throwable
     * {@link #fail} and the zero of the result, since an upcall must never throw. Only on the thread that holds the
     * state, which is running the Lua code that calls it: on any other thread (Lua code with the debug library can
     * hand the stub's address to one) the call returns the zero of the result without running anything.
     */
    private MethodHandle guarded(MethodHandle target) {
        MethodType type = target.type();
        return MethodHandles.guardWithTest(HELD.bindTo(guard), caught(target),
                MethodHandles.dropArguments(zero(type.returnType()), 0, type.parameterList()));
    }

    private MethodHandle caught(MethodHandle target) {
        MethodType type = target.type();
        MethodHandle body = MethodHandles.foldArguments(target, ENTER.bindTo(guard));
        MethodHandle leave = LEAVE.bindTo(guard);
        body = type.returnType() == void.class ? MethodHandles.filterReturnValue(body, leave)
                : MethodHandles.filterReturnValue(body, MethodHandles.foldArguments(
                        MethodHandles.identity(type.returnType()), leave));
        MethodHandle zero = MethodHandles.dropArguments(zero(type.returnType()), 0, Throwable.class);
        MethodHandle handler = MethodHandles.dropArguments(MethodHandles.foldArguments(zero, FAIL.bindTo(guard)), 1,
                type.parameterList());
        return MethodHandles.catchException(body, Throwable.class, handler);
    }

    /** () -> the zero of {@code type}, or nothing for void. */
    private static MethodHandle zero(Class<?> type) {
        return type == void.class ? MethodHandles.empty(MethodType.methodType(void.class)) : MethodHandles.zero(type);
    }

    /**
     * What the stubs' bodies are bound to: this object, weakly. A stub lives as long as its lua_State, and this
     * object leads back to the state's Java object, which must stay collectable (an unclosed state is freed once it
     * is dropped). While {@link #held} is true the state is in use, so this object is there.
     */
    private static final class Guard {
        private final WeakReference<TypedJavaFunctions> owner;

        Guard(TypedJavaFunctions owner) {
            this.owner = new WeakReference<>(owner);
        }

        boolean held() {
            TypedJavaFunctions functions = owner.get();
            return functions != null && functions.calls.heldByCurrentThread();
        }

        void enter() {
            owner.get().enter();
        }

        void leave() {
            owner.get().leave();
        }

        void fail(Throwable thrown) {
            TypedJavaFunctions functions = owner.get();
            if (functions != null) {
                functions.fail(thrown);
            }
        }
    }

    private void enter() {
        calls.ffiCalls++;
        flag.set(JAVA_INT, 0, 0); // a failure nobody raised (the stub called past its wrapper) is forgotten
    }

    private void leave() {
        calls.ffiCalls--;
    }

    private void fail(Throwable thrown) {
        calls.ffiCalls--;
        failure = thrown;
        flag.set(JAVA_INT, 0, 1);
    }
}
