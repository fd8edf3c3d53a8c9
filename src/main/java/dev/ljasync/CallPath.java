package dev.ljasync;

import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.MemoryLimit;
import dev.ljasync.internal.lua.StackGuard;
import dev.ljasync.internal.lua.StateLifetime;
import dev.ljasync.internal.lua.StateLock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.HashMap;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The one way Lua code of a state runs from Java: under the state's lock, on the Lua thread calls run on, with the
 * stack checked, counted as a nesting level, under the interruption and the memory limit; and the pushes, loads and
 * conversions around it. Shared by the state and the parts that run code in it (typed handles, Java functions, a
 * callback's entry); it holds nothing that leads back to the state's Java object.
 */
final class CallPath {

    final MemorySegment L;
    // The Lua thread that calls from Java run on: L, or the coroutine whose Java function is calling back in
    // (a C function may call into its own lua_State; entering another one while a coroutine runs would leave
    // LuaJIT's current-thread pointer on the wrong thread).
    MemorySegment running;
    final JavaValues values;
    final LuaFailures failures;
    final MemoryLimit memoryLimit; // null without a limit
    private final Interruption interruption; // null unless interruptible
    private final long timeLimitNanos;
    private final StateLock lock;
    private final StateLifetime lifetime;
    // state.lua's message handler; sandbox.lua's environment of the library's chunks; collectgarbage, as the base
    // library made it, in a state with a memory limit (else LUA_NOREF). Set once, as the state is opened.
    int handlerRef;
    private int libraryEnvironmentRef;
    private int collectRef = LUA_NOREF;
    // The state's globals table (state.lua's _G), and the plain global names called so far, each the registry
    // reference of its Lua string (at most NAMES of them): call's fast path pushes the name without encoding it again
    private int globalsRef = LUA_NOREF;
    private final HashMap<String, Integer> names = new HashMap<>();
    private static final int NAMES = 256;
    // Pushes of arguments or results in progress on this state's stacks: a value's conversion may run Java code
    // that calls into the state again, and that call cannot count on the LUA_MINSTACK free slots a stack has
    // between calls (and a C function's stack on entry), which the pushes below it may have taken.
    int pushing;
    // Typed Java functions running (TypedJavaFunctions): Java code inside an FFI call, which must not enter Lua again
    int ffiCalls;
    private int nesting;
    // The stack of the thread that last entered Lua here, and scratch memory to read the stack pointer into
    private StackGuard stack;
    private final MemorySegment stackScratch;

    CallPath(MemorySegment L, JavaValues values, LuaFailures failures, MemoryLimit memoryLimit,
             Interruption interruption, long timeLimitNanos, StateLock lock, StateLifetime lifetime, Arena memory) {
        this.L = L;
        this.running = L;
        this.values = values;
        this.failures = failures;
        this.memoryLimit = memoryLimit;
        this.interruption = interruption;
        this.timeLimitNanos = timeLimitNanos;
        this.lock = lock;
        this.lifetime = lifetime;
        this.stackScratch = memory.allocate(StackGuard.SCRATCH, 16);
    }

    /** Sets the references the bootstrap made; once, as the state is opened. */
    void refs(int handlerRef, int libraryEnvironmentRef, int collectRef) {
        this.handlerRef = handlerRef;
        this.libraryEnvironmentRef = libraryEnvironmentRef;
        this.collectRef = collectRef;
    }

    /** Sets the reference of the state's globals table; once, as the state is opened. */
    void globals(int globalsRef) {
        this.globalsRef = globalsRef;
    }

    /** How many calls into Lua are in flight here (nested through Java functions). Holding the lock. */
    int nesting() {
        return nesting;
    }

    /**
     * The prologue of a call that runs Lua code outside {@link #execute}: takes the lock, refuses a closed state,
     * frees dropped references and begins the call; lets go of the lock if any of it fails.
     */
    void enter() {
        lock.checkClosing();
        lock.lock();
        try {
            lock.checkOpen();
            checkNotInFfiCall();
            lifetime.freeDropped(running);
            beginCall();
        } catch (RuntimeException | Error e) {
            lock.unlock();
            throw e;
        }
    }

    /** Whether the calling thread holds the state's lock. */
    boolean heldByCurrentThread() {
        return lock.heldByCurrentThread();
    }

    /** The epilogue of {@link #enter}: lets go of the lock once. */
    void leave() {
        lock.unlock();
    }

    /** Pushes the function to call and any leading arguments; returns how many leading arguments it pushed. */
    @FunctionalInterface
    interface Callee {
        int push(MemorySegment L);
    }

    /**
     * Pushes a helper of state.lua and the name it works on, split at its dots; returns the count pushed after it.
     * Leaves room for at least two more pushes.
     */
    int pushHelper(MemorySegment L, int ref, String name) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        if (name.indexOf('.') < 0 && !name.isEmpty()) {
            lua_pushinteger(L, 1);
            values.push(L, name);
            return 2;
        }
        String[] parts = name.split("\\.", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("'" + name + "' is not a name: names are parts joined by single"
                        + " dots, like \"string.format\"");
            }
        }
        if (!lua_checkstack(L, parts.length + 4)) {
            throw new IllegalArgumentException("'" + name + "' has too many parts");
        }
        lua_pushinteger(L, parts.length);
        for (String part : parts) {
            values.push(L, part);
        }
        return parts.length + 1;
    }

    /**
     * The one path by which Lua code runs: message handler, callee and arguments pushed with the collector paused,
     * then lua_pcall, then the results converted and the stack restored. {@code owner} as for {@link #locked}.
     */
    Object[] execute(Object owner, String what, Callee callee, Object... args) {
        return execute(owner, what, callee, this::results, args);
    }

    /** Reads what a call left on the stack, from index {@code first} to the top. */
    @FunctionalInterface
    interface Results<T> {
        T read(MemorySegment L, int first, String what);
    }

    /** {@link #execute}, with the results read by {@code results} (as references, say) rather than converted. */
    <T> T execute(Object owner, String what, Callee callee, Results<T> results, Object... args) {
        return locked(owner, () -> {
            beginCall();
            MemorySegment L = running;
            int base = lua_gettop(L);
            int nargs;
            boolean paused = gcPause(L);
            try {
                // Room first, always: a push that grows the stack allocates, which a critical downcall must not.
                if (!lua_checkstack(L, 8)) {
                    throw new IllegalStateException("the Lua stack is full");
                }
                lua_rawgeti(L, LUA_REGISTRYINDEX, handlerRef);
                nargs = callee.push(L);
                if (!lua_checkstack(L, args.length + 1)) {
                    throw new IllegalArgumentException("too many arguments for one Lua call: " + args.length);
                }
                pushArguments(L, what, args);
                nargs += args.length;
            } catch (RuntimeException | Error e) {
                lua_settop(L, base);
                throw e;
            } finally {
                gcResume(L, paused);
            }
            int status = pcall(L, nargs, LUA_MULTRET, base + 1);
            // A Channel or Mutex argument reached Lua as a bare handle: it stays referenced while the code runs
            Reference.reachabilityFence(args);
            try {
                if (status != LUA_OK) {
                    throw failure(L, status, null);
                }
                return results.read(L, base + 2, what);
            } finally {
                lua_settop(L, base);
            }
        });
    }

    /**
     * {@code LuaState.call}: a plain global name that holds a function is called straight (its Lua string pushed
     * from a cache, the function read from the globals table raw, the arguments pushed without the collector's pause
     * or a room check when none needs them); any other name or value goes through state.lua's call helper
     * ({@code callRef}), which indexes with metamethods and names what is not callable. {@code owner} as for
     * {@link #locked}.
     */
    Object[] call(Object owner, int callRef, String name, Object[] args) {
        Object[] results;
        enter();
        try {
            results = callGlobal(name, args);
        } finally {
            leave();
            Reference.reachabilityFence(owner);
        }
        return results != null ? results
                : execute(owner, "the function '" + name + "'", L -> pushHelper(L, callRef, name), args);
    }

    /** {@link #call}'s fast path, holding the lock: the results, or null when the name or its value needs the helper. */
    private Object[] callGlobal(String name, Object[] args) {
        MemorySegment L = running;
        int nameRef = nameRef(L, name);
        if (nameRef == LUA_NOREF) {
            return null;
        }
        int base = lua_gettop(L);
        // Three slots and the arguments: within LUA_MINSTACK when no push is in progress below; plain values
        // (numbers, booleans, nil) need neither room that may grow the stack nor the collector's pause.
        boolean plain = pushing == 0 && args.length <= LUA_MINSTACK - 3 && JavaValues.allPlain(args);
        if (!plain && !lua_checkstack(L, args.length + 3)) {
            throw new IllegalArgumentException("too many arguments for one Lua call: " + args.length);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, handlerRef);
        lua_rawgeti(L, LUA_REGISTRYINDEX, globalsRef);
        lua_rawgeti(L, LUA_REGISTRYINDEX, nameRef);
        lua_rawget(L, base + 2);
        if (lua_type(L, base + 3) != LUA_TFUNCTION) {
            // nil (perhaps with an __index on the globals), or a value that may have __call: the helper decides
            lua_settop(L, base);
            return null;
        }
        boolean paused = !plain && gcPause(L);
        try {
            pushArguments(L, "the function '", name, args);
        } catch (RuntimeException | Error e) {
            lua_settop(L, base);
            throw e;
        } finally {
            gcResume(L, paused);
        }
        int status = pcall(L, args.length, LUA_MULTRET, base + 1);
        Reference.reachabilityFence(args); // as in execute
        try {
            if (status != LUA_OK) {
                throw failure(L, status, null);
            }
            return results(L, base + 3, name);
        } finally {
            lua_settop(L, base);
        }
    }

    /**
     * The registry reference of the Lua string of a plain global name, made the first time it is asked for; LUA_NOREF
     * for a dotted name, one with no UTF-8 form, or once NAMES names are kept. Holding the lock.
     */
    private int nameRef(MemorySegment L, String name) {
        Integer ref = names.get(name);
        if (ref != null) {
            return ref;
        }
        if (names.size() >= NAMES || name.isEmpty() || name.indexOf('.') >= 0 || !lua_checkstack(L, 1)) {
            return LUA_NOREF;
        }
        boolean paused = gcPause(L);
        try {
            values.push(L, name);
            ref = registryRef(L);
        } catch (IllegalArgumentException e) {
            return LUA_NOREF; // the helper's path reports it
        } finally {
            gcResume(L, paused);
        }
        names.put(name, ref);
        return ref;
    }

    /** Pushes the arguments of {@code what}, counted in {@link #pushing}; room made and the collector paused if needed. */
    private void pushArguments(MemorySegment L, String what, Object[] args) {
        pushArguments(L, "", what, args);
    }

    /** As above, with what the arguments are for named {@code prefix + what + "'"} when prefixed: made on error only. */
    private void pushArguments(MemorySegment L, String prefix, String what, Object[] args) {
        pushing++;
        try {
            for (int i = 0; i < args.length; i++) {
                try {
                    values.push(L, args[i]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("argument " + (i + 1) + " of " + prefix + what
                            + (prefix.isEmpty() ? "" : "'") + ": " + e.getMessage(), e);
                }
            }
        } finally {
            pushing--;
        }
    }

    /** Loads a chunk in {@code mode} ("t", "bt") and runs it with {@code args}; {@code owner} as for {@link #locked}. */
    Object[] run(Object owner, byte[] chunk, String chunkName, String mode, Object[] args) {
        return execute(owner, "the chunk '" + chunkName + "'", L -> {
            int status = load(L, chunk, chunkId(chunkName), mode);
            if (status != LUA_OK) {
                throw failure(L, status, null);
            }
            return 0;
        }, args);
    }

    /** Compiles source text to bytecode without running it; {@code owner} as for {@link #locked}. */
    byte[] compile(Object owner, String source, String chunkName) {
        return locked(owner, () -> {
            MemorySegment L = running;
            int base = lua_gettop(L);
            try {
                int status = load(L, JavaValues.source(source), chunkId(chunkName), "t");
                if (status != LUA_OK) {
                    throw failure(L, status, null);
                }
                return LibraryChunks.dump(L);
            } finally {
                lua_settop(L, base);
            }
        });
    }

    /**
     * Refuses to enter the state from a typed Java function: it runs inside a call through LuaJIT's FFI, and LuaJIT
     * must not be entered from there (a compiled trace is in flight). Holding the lock, so only that thread can be here.
     */
    private void checkNotInFfiCall() {
        if (ffiCalls > 0) {
            throw new IllegalStateException("a Java function registered with a C type runs inside a call through"
                    + " LuaJIT's FFI, from which its state cannot be entered again; register it as a JavaFunction"
                    + " to call back into the state");
        }
    }

    /** Refuses a call nested too deep, and starts the error bookkeeping of an outermost call. Holding the lock. */
    void beginCall() {
        checkStack();
        if (nesting == 0) {
            failures.clearJavaError();
        }
    }

    /**
     * Refuses to enter Lua on a thread whose stack is nearly used up (by calls nested between Java and Lua, across
     * all states, or by whatever the thread did before): the limit follows the thread's real stack. Holding the lock.
     */
    void checkStack() {
        long sp = StackGuard.pointer(stackScratch);
        StackGuard guard = stack;
        if (guard == null || !guard.contains(sp)) {
            stack = guard = StackGuard.of(sp);
        }
        if (guard.available(sp) < 0) {
            throw new LuaException(LuaException.Kind.RUNTIME, guard.overflow(sp), "", null);
        }
    }

    /** lua_pcall, counted as a nesting level, with the memory limit enforced while Lua runs. Holding the lock. */
    int pcall(MemorySegment L, int nargs, int nresults, int errfunc) {
        if (interruption == null || nesting > 0) {
            return countedPcall(L, nargs, nresults, errfunc);
        }
        // the outermost call into an interruptible state: the one interrupt() and the time limit end
        interruption.enter(timeLimitNanos);
        try {
            return countedPcall(L, nargs, nresults, errfunc);
        } finally {
            interruption.leave();
        }
    }

    private int countedPcall(MemorySegment L, int nargs, int nresults, int errfunc) {
        nesting++;
        boolean enforcing = memoryLimit != null && memoryLimit.enforce(true);
        try {
            int status = lua_pcall(L, nargs, nresults, errfunc);
            if (status == LUA_ERRMEM && memoryLimit != null) {
                collectAfterMemoryError(L);
            }
            return status;
        } finally {
            nesting--;
            if (memoryLimit != null) {
                memoryLimit.enforce(enforcing);
            }
        }
    }

    /**
     * Frees what code that ran out of memory left. Its garbage may wait for {@code __gc} finalizers, which need memory
     * to run: at the limit they fail as well, the garbage stays, and every later call fails. So collect with some
     * headroom until two full collections in a row succeed (the second frees what the first finalized), a few
     * times at most, ignoring their errors. Holding the lock; the error is on top of the stack, and the stack has the
     * room the failed call's function and arguments took.
     */
    private void collectAfterMemoryError(MemorySegment L) {
        int top = lua_gettop(L);
        memoryLimit.headroom(true);
        try {
            for (int tries = 0, succeeded = 0; tries < 8 && succeeded < 2; tries++) {
                lua_rawgeti(L, LUA_REGISTRYINDEX, collectRef);
                succeeded = lua_pcall(L, 0, 0, 0) == LUA_OK ? succeeded + 1 : 0;
                lua_settop(L, top);
            }
        } finally {
            memoryLimit.headroom(false);
        }
    }

    Object[] results(MemorySegment L, int first, String what) {
        int top = lua_gettop(L);
        Object[] results = new Object[top - first + 1];
        for (int i = 0; i < results.length; i++) {
            try {
                results[i] = values.toJava(L, first + i);
            } catch (IllegalArgumentException e) {
                throw new LuaException(LuaException.Kind.RUNTIME, "result " + (i + 1) + " of " + what + ": "
                        + e.getMessage(), "", null);
            }
        }
        return results;
    }

    /** Loads one of the library's own chunks, the collector paused, as the load of a chunk's bytes below does. */
    int load(MemorySegment L, LibraryChunks.Chunk chunk) {
        failures.loading(chunk.name());
        boolean paused = gcPause(L);
        try {
            return chunk.load(L);
        } finally {
            gcResume(L, paused);
        }
    }

    int load(MemorySegment L, byte[] chunk, String chunkId, String mode) {
        failures.loading(chunkId);
        boolean paused = gcPause(L);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment buffer = scratch.allocateFrom(JAVA_BYTE, chunk);
            return luaL_loadbufferx(L, buffer, chunk.length, scratch.allocateFrom(chunkId),
                    scratch.allocateFrom(mode));
        } finally {
            gcResume(L, paused);
        }
    }

    /** Lua shows a chunk name given with '=' as it is; '@' marks a file name. */
    static String chunkId(String chunkName) {
        if (chunkName == null || chunkName.isEmpty()) {
            throw new IllegalArgumentException("a chunk needs a name (it is shown in error messages)");
        }
        if (chunkName.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a chunk name cannot hold a NUL character (it is passed to LuaJIT as"
                    + " a C string, which would end there)");
        }
        try {
            JavaValues.utf8(chunkName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the chunk name is " + e.getMessage(), e);
        }
        return chunkName.startsWith("=") || chunkName.startsWith("@") ? chunkName : "=" + chunkName;
    }

    /** The LuaException for a failed status; the error value is on top of the stack. */
    LuaException failure(MemorySegment L, int status, String during) {
        return failures.failure(L, status, during);
    }

    /** Gives the function on top of the stack the environment of the library's own chunks (sandbox.lua). */
    void useLibraryEnvironment(MemorySegment L) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, libraryEnvironmentRef);
        lua_setfenv(L, -2);
    }

    /** Pushes values (with the message handler first when asked), the collector paused. */
    void pushAll(Object[] args, boolean handlerFirst) {
        boolean paused = gcPause(L);
        pushing++;
        try {
            if (!lua_checkstack(L, args.length + 2)) {
                throw new IllegalArgumentException("too many arguments for one Lua call: " + args.length);
            }
            if (handlerFirst) {
                lua_rawgeti(L, LUA_REGISTRYINDEX, handlerRef);
            }
            for (int i = 0; i < args.length; i++) {
                try {
                    values.push(L, args[i]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("argument " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
        } finally {
            pushing--;
            gcResume(L, paused);
        }
    }

    /**
     * Runs {@code body} holding the state's lock, on an open state. {@code owner}, the state's Java object, stays
     * reachable until then: once it is unreachable, its lifetime closes the lua_State, which no call in flight may
     * see (this object does not hold the owner, or the dispatcher stub would reach it).
     */
    <T> T locked(Object owner, java.util.function.Supplier<T> body) {
        lock.checkClosing();
        lock.lock();
        try {
            lock.checkOpen();
            checkNotInFfiCall();
            lifetime.freeDropped(running);
            return body.get();
        } finally {
            lock.unlock();
            Reference.reachabilityFence(owner);
        }
    }
}
