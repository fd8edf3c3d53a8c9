package dev.ljasync;

import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.MemoryLimit;
import dev.ljasync.internal.lua.SlotTable;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.Arrays;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * The Java functions of one state (those {@link LuaState#register} registers, and the library's private ones): their
 * table, and the body of the one C function that runs them all, which converts the arguments, calls the function and
 * hands its results or its failure back to Lua. That C function is one upcall stub shared by the JVM: each closure
 * of it holds the function's number and the number of its {@code JavaFunctions} among the live ones ({@link Owners}),
 * which is reached only weakly; nothing here but the user's functions leads to the state's Java object, which holds
 * this one.
 */
final class JavaFunctions {

    // `what` names the function in the error of its failure: "Java function 'name'"
    private record Registered(String what, JavaFunction function) {}

    // One C function for every Java function of every state: a stub and the shared arena it lives in took 50 to
    // 100 us to make and free, a third of a state's open and close, and a stub per state ran no faster per call
    // than this one's array lookup (JMH, LuaStateBench.luaCallsJava).
    private static final MemorySegment DISPATCH = cfunction(JavaFunctions::dispatchShared, Arena.global());

    /**
     * The live {@code JavaFunctions}, weakly, by a small number that their closures hold as their second upvalue.
     * Read by any thread that runs a Java function without a lock (an array element, published before the closure
     * that names it); a number is used again only once its state has closed, when none of its closures can run.
     */
    private static final class Owners {
        @SuppressWarnings("unchecked")
        private static volatile WeakReference<JavaFunctions>[] slots = new WeakReference[16];
        private static final ArrayDeque<Integer> FREE = new ArrayDeque<>();
        private static int used = 1; // 0 is no owner

        static synchronized int add(JavaFunctions owner) {
            Integer free = FREE.poll();
            int slot = free != null ? free : used++;
            WeakReference<JavaFunctions>[] current = slots;
            if (slot == current.length) {
                current = Arrays.copyOf(current, slot * 2);
            }
            current[slot] = new WeakReference<>(owner);
            slots = current; // the volatile write publishes the element to the readers' volatile read
            return slot;
        }

        static synchronized void remove(int slot) {
            slots[slot] = null;
            FREE.add(slot);
        }

        static JavaFunctions get(long slot) {
            WeakReference<JavaFunctions>[] current = slots;
            WeakReference<JavaFunctions> owner = slot > 0 && slot < current.length ? current[(int) slot] : null;
            return owner == null ? null : owner.get();
        }
    }

    /** What {@link JavaFunction#yield} returns: the values to yield. */
    record Yield(Object[] values) {}

    private final CallPath calls;
    private final JavaValues values;
    private final MemoryLimit memoryLimit; // null without a limit
    private final StateLifetime lifetime;
    private final int registerRef; // state.lua's register(n, parts..., closure, id, release)
    private final SlotTable<Registered> functions = new SlotTable<>();
    private final int owner; // this object's number in Owners
    private final long registry; // the address of the state's registry, the same in each of its coroutines
    // the C closure that the finalizer of a registered function's Lua wrapper calls to release the Java function
    private int releaseRef = LUA_NOREF;

    JavaFunctions(CallPath calls, StateLifetime lifetime, int registerRef) {
        this.calls = calls;
        this.values = calls.values;
        this.memoryLimit = calls.memoryLimit;
        this.lifetime = lifetime;
        this.registerRef = registerRef;
        this.registry = lua_topointer(calls.L, LUA_REGISTRYINDEX);
        int number = Owners.add(this);
        this.owner = number;
        lifetime.afterClose(() -> Owners.remove(number));
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
        if (releaseRef == LUA_NOREF) {
            pushFunction(L, "(release)", args -> {
                functions.remove(((Number) args[0]).longValue());
                return null;
            });
            releaseRef = registryRef(L);
        }
        long id = pushFunction(L, "Java function '" + name + "'", function);
        // state.lua's register(..., closure, id, release) releases id when the closure's wrapper is collected
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
        pushFunction(L, what, function);
    }

    /** Pushes a C closure of {@link #DISPATCH} that runs {@code function}; returns its number. */
    private long pushFunction(MemorySegment L, String what, JavaFunction function) {
        long id = functions.add(new Registered(what, function));
        lua_pushinteger(L, id);
        lua_pushinteger(L, owner);
        lua_pushcclosure(L, DISPATCH, 2);
        return id;
    }

    /** The body of {@link #DISPATCH}: finds its object and runs {@link #dispatch}; no results when it is gone. */
    private static int dispatchShared(MemorySegment L) {
        try {
            // debug.setupvalue can change the number: run only a Java function of the state that calls it
            JavaFunctions functions = Owners.get(lua_tointeger(L, lua_upvalueindex(2)));
            return functions == null || lua_topointer(L, LUA_REGISTRYINDEX) != functions.registry ? 0
                    : functions.dispatch(L);
        } catch (Throwable t) {
            return 0; // as dispatch: the Lua side raises its own error for no results
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
            if (result != null && result.getClass() == Object[].class) {
                return reply(L, OK, (Object[]) result);
            }
            if (JavaValues.isPlain(result)) {
                // the common case, without an array: two pushes within the room a C function has on entry
                lua_pushboolean(L, true);
                values.push(L, result);
                return 2;
            }
            return reply(L, OK, result);
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
