package dev.ljasync;

import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.MemoryLimit;
import dev.ljasync.internal.lua.SlotTable;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * The Java functions registered in one state ({@link LuaState#register}): their table, the one upcall stub that runs
 * them (a C closure per function, whose upvalue is the function's number), and that stub's body, which converts the
 * arguments, calls the function and hands its results or its failure back to Lua. The stub reaches this object only
 * weakly ({@code StateLifetime.cfunction}), and nothing here but the user's functions leads to the state's Java
 * object, which holds this one.
 */
final class JavaFunctions {

    // `what` names the function in the error of its failure: "Java function 'name'"
    private record Registered(String what, JavaFunction function) {}

    // The C function of every state's private functions (pushPrivate), made once per JVM: a state that registers no
    // function then makes no upcall stub of its own (a stub and the shared arena it lives in took 50 to 100 us to
    // make and free, a third of a state's open and close). Its second upvalue names the object it runs in, OWNERS.
    private static final ConcurrentHashMap<Long, WeakReference<JavaFunctions>> OWNERS = new ConcurrentHashMap<>();
    private static final AtomicLong OWNER_IDS = new AtomicLong();
    private static final MemorySegment PRIVATE = cfunction(JavaFunctions::dispatchPrivate, Arena.global());

    /** What {@link JavaFunction#yield} returns: the values to yield. */
    record Yield(Object[] values) {}

    private final CallPath calls;
    private final JavaValues values;
    private final MemoryLimit memoryLimit; // null without a limit
    private final StateLifetime lifetime;
    private final int registerRef; // state.lua's register(n, parts..., closure, id, release)
    private final SlotTable<Registered> functions = new SlotTable<>();
    private MemorySegment dispatcher;
    private long ownerId; // this object's key in OWNERS, 0 until the first private function
    // the C closure that the finalizer of a registered function's Lua wrapper calls to release the Java function
    private int releaseRef;

    JavaFunctions(CallPath calls, StateLifetime lifetime, int registerRef) {
        this.calls = calls;
        this.values = calls.values;
        this.memoryLimit = calls.memoryLimit;
        this.lifetime = lifetime;
        this.registerRef = registerRef;
    }

    /**
     * Pushes state.lua's register with {@code name} and a new C closure for {@code function}, as
     * {@link CallPath#execute}'s callee does; returns the count pushed after register.
     */
    int pushRegistration(MemorySegment L, String name, JavaFunction function) {
        int pushed = calls.pushHelper(L, registerRef, name);
        return pushed + pushClosure(L, name, function);
    }

    /** Pushes state.lua's register, for a chunk of the library that registers functions without a name. */
    void pushRegister(MemorySegment L) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, registerRef);
    }

    /**
     * Pushes what state.lua's register takes after a name: a new C closure for {@code function} (called
     * {@code name} in its errors), its id and the release function; returns 3. Needs room for 3 pushes.
     */
    int pushClosure(MemorySegment L, String name, JavaFunction function) {
        makeDispatcher(L);
        long id = functions.add(new Registered("Java function '" + name + "'", function));
        // state.lua's register(..., closure, id, release) releases id when the closure's wrapper is collected
        lua_pushinteger(L, id);
        lua_pushcclosure(L, dispatcher, 1);
        lua_pushinteger(L, id);
        lua_rawgeti(L, LUA_REGISTRYINDEX, releaseRef);
        return 3;
    }

    /**
     * Pushes a C closure for {@code function} that no global names: for the library's own Lua code (output.lua, the
     * methods of Java objects), which calls it and raises its failure itself. It replies as a registered function's closure does (true and
     * the results, or false, a message "{@code what} threw ..." and a level) and lives as long as the state; it
     * runs in a C function shared by every state, so that a state needs no upcall stub of its own for it. The
     * collector paused.
     */
    void pushPrivate(MemorySegment L, String what, JavaFunction function) {
        if (ownerId == 0) {
            long id = OWNER_IDS.incrementAndGet();
            OWNERS.put(id, new WeakReference<>(this));
            lifetime.afterClose(() -> OWNERS.remove(id));
            ownerId = id;
        }
        lua_pushinteger(L, functions.add(new Registered(what, function)));
        lua_pushinteger(L, ownerId);
        lua_pushcclosure(L, PRIVATE, 2);
    }

    /** The body of {@link #PRIVATE}: finds its object and runs {@link #dispatch}; no results when it is gone. */
    private static int dispatchPrivate(MemorySegment L) {
        try {
            WeakReference<JavaFunctions> owner = OWNERS.get(lua_tointeger(L, lua_upvalueindex(2)));
            JavaFunctions functions = owner == null ? null : owner.get();
            return functions == null ? 0 : functions.dispatch(L);
        } catch (Throwable t) {
            return 0; // as dispatch: the Lua side raises its own error for no results
        }
    }

    private void makeDispatcher(MemorySegment L) {
        if (dispatcher == null) {
            // one upcall stub per state; the closure's upvalue says which Java function to run
            dispatcher = lifetime.cfunction(this, JavaFunctions::dispatch);
            long release = functions.add(new Registered("(release)", args -> {
                functions.remove(((Number) args[0]).longValue());
                return null;
            }));
            lua_pushinteger(L, release);
            lua_pushcclosure(L, dispatcher, 1);
            releaseRef = registryRef(L);
        }
    }

    /**
     * The body of every registered Java function: an upcall, so it never throws. It returns {@code true} and the
     * results, or {@code false} and a message, which the Lua wrapper made by {@code register} raises as an error.
     * {@code L} may be a coroutine of this state, so the stack is always that of {@code L}.
     */
    private int dispatch(MemorySegment L) {
        try {
            return dispatchGuarded(L);
        } catch (Throwable t) {
            // Out of stack or memory even for reporting: no results, so the Lua wrapper raises an error (nil).
            return 0;
        }
    }

    private int dispatchGuarded(MemorySegment L) {
        boolean enforcing = memoryLimit != null && memoryLimit.enforce(false);
        MemorySegment outer = calls.running;
        calls.running = L;
        Registered registered = null;
        try {
            registered = functions.get(lua_tointeger(L, lua_upvalueindex(1)));
            if (registered == null) {
                throw new IllegalStateException("this Java function was released: its Lua function was collected"
                        + " (only debug.getupvalue can reach its inner closure)");
            }
            int count = lua_gettop(L);
            Object[] args = new Object[count];
            for (int i = 0; i < count; i++) {
                try {
                    args[i] = values.toJava(L, i + 1);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad argument #" + (i + 1) + ": " + e.getMessage());
                }
            }
            Object result = registered.function().call(args);
            if (result instanceof Yield yield) {
                return reply(L, YIELD, yield.values());
            }
            // exactly an Object[] is several results; any other array (a String[]) is one value, a table
            Object[] results = result != null && result.getClass() == Object[].class ? (Object[]) result
                    : new Object[] {result};
            return reply(L, OK, results);
        } catch (Throwable t) {
            // A Lua error that came back through Java (a nested call) goes on as it was; anything else is named.
            try {
                boolean relayed = t instanceof LuaException;
                String message = relayed ? ((LuaException) t).luaMessage()
                        : (registered == null ? "Java function '?'" : registered.what()) + " threw "
                        + Failures.describe(t);
                calls.failures.javaFailed(t, message);
                return reply(L, FAILED, message, relayed ? 0 : 2);
            } catch (Throwable again) {
                return 0; // nothing sensible is left to report; the Lua wrapper raises nil then
            }
        } finally {
            calls.running = outer;
            if (memoryLimit != null) {
                memoryLimit.enforce(enforcing);
            }
        }
    }

    // what the Lua wrapper (state.lua's finish) is told: results, an error to raise, or values to yield
    private static final int OK = 0, FAILED = 1, YIELD = 2;

    /**
     * Pushes the outcome and the results: above the arguments when ok or yielding (a C function's results are the
     * top values), alone on the stack for a failure (which a push that fails leads to). Plain values within
     * LUA_MINSTACK (the room a C function has on entry) need neither a room check nor the collector's pause.
     */
    private int reply(MemorySegment L, int outcome, Object... results) {
        if (outcome == FAILED) {
            lua_settop(L, 0);
        }
        boolean plain = results.length < LUA_MINSTACK && JavaValues.allPlain(results);
        boolean paused = !plain && gcPause(L);
        calls.pushing++;
        try {
            if (!plain && !lua_checkstack(L, results.length + 1)) {
                throw new IllegalArgumentException("too many results for one Lua call: " + results.length);
            }
            if (outcome == YIELD) {
                lua_pushinteger(L, 1);
            } else {
                lua_pushboolean(L, outcome == OK);
            }
            for (int i = 0; i < results.length; i++) {
                try {
                    values.push(L, results[i]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("result " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            return results.length + 1;
        } finally {
            calls.pushing--;
            gcResume(L, paused);
        }
    }
}
