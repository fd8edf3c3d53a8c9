package dev.ljasync;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * A live reference to a value of one {@link LuaState}: a function, table, coroutine, userdata or cdata (or any
 * other value, when asked for with {@link LuaState#reference(String)}). Functions, coroutines, userdata and cdata
 * come to Java as one of these wherever a value crosses (a result, a Java function's argument); a table comes as a
 * copy ({@link LuaTable}) unless a reference is asked for ({@link LuaState#reference}, {@link #reference}).
 *
 * <pre>{@code
 * LuaValue counter = (LuaValue) lua.run("local n = 0; return function(k) n = n + k; return n end")[0];
 * counter.call(2);            // {2L}
 * counter.call(3);            // {5L}: the closure kept its upvalue
 * }</pre>
 *
 * <p>Every operation runs under the state's lock, so a reference may be used from any thread, and from a Java
 * function the state is running. What an operation reads converts by the library's one rule (tables copied).
 * Indexing and calling run metamethods, and their errors are {@link LuaException}s. Two references are
 * {@link #equals equal} when they refer to the same Lua value (raw equality: no {@code __eq}).
 *
 * <p>The reference keeps its state open (a state is closed only by {@link LuaState#close()} while references exist)
 * and its value alive in Lua. {@link #close()} lets the value go; a reference that is dropped without it is let go
 * once the collector finds it unreachable, by the next thread that uses the state (never by the collector's own
 * thread: LuaJIT's states are not thread-safe). Using a reference after it or its state was closed is an
 * {@link IllegalStateException}.
 */
public final class LuaValue implements AutoCloseable, Iterable<Map.Entry<Object, Object>> {

    /** The Lua type of a referenced value, as Lua's {@code type()} names it. */
    public enum Type {
        /** {@code "boolean"}. */
        BOOLEAN,
        /** {@code "number"}. */
        NUMBER,
        /** {@code "string"}. */
        STRING,
        /** {@code "userdata"} holding only an address: a light userdata. */
        LIGHT_USERDATA,
        /** {@code "table"}. */
        TABLE,
        /** {@code "function"}. */
        FUNCTION,
        /** {@code "thread"}: a coroutine. */
        THREAD,
        /** {@code "userdata"}: a full userdata. */
        USERDATA,
        /** {@code "cdata"}: a value of LuaJIT's FFI. */
        CDATA;

        static Type of(int luaType) {
            if (luaType == LUA_TBOOLEAN) return BOOLEAN;
            if (luaType == LUA_TNUMBER) return NUMBER;
            if (luaType == LUA_TSTRING) return STRING;
            if (luaType == LUA_TLIGHTUSERDATA) return LIGHT_USERDATA;
            if (luaType == LUA_TTABLE) return TABLE;
            if (luaType == LUA_TFUNCTION) return FUNCTION;
            if (luaType == LUA_TTHREAD) return THREAD;
            if (luaType == LUA_TUSERDATA) return USERDATA;
            if (luaType == LUA_TCDATA) return CDATA;
            throw new IllegalArgumentException("no reference to a value of Lua type " + luaType);
        }
    }

    /** Where a coroutine is, as {@code coroutine.status} says. */
    public enum Status {
        /** Not started, or stopped at a yield: {@link #resume} continues it. */
        SUSPENDED,
        /** Running: the coroutine asked about itself. */
        RUNNING,
        /** Active but not running: it resumed another coroutine. */
        NORMAL,
        /** Returned or failed: it cannot be resumed. */
        DEAD
    }

    // what a call is named in errors, made once per type: call() is on the path of every proxy call
    private static final String[] CALL_OF = java.util.Arrays.stream(Type.values())
            .map(t -> "the call of a " + typeName(t)).toArray(String[]::new);

    private final LuaState owner;
    private final LuaValues values;
    private final int ref;
    private final Type type;
    private final long identity; // the object's address while it lives (LuaJIT never moves objects); 0 for scalars
    private final Object scalar; // the Java value of a boolean, number or light userdata, for equals and hashCode
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    LuaValue(LuaState owner, LuaValues values, int ref, Type type, long identity, Object scalar) {
        this.owner = owner;
        this.values = values;
        this.ref = ref;
        this.type = type;
        this.identity = identity;
        this.scalar = scalar;
        this.cleanable = values.freeWhenUnreachable(this, ref);
    }

    /**
     * The Lua type of the value.
     *
     * @return its type
     */
    public Type type() {
        return type;
    }

    /**
     * The state the value lives in.
     *
     * @return the state
     */
    public LuaState state() {
        return owner;
    }

    /**
     * Calls the value (a function, or a value with a {@code __call} metamethod) with {@code args}.
     *
     * @param args the arguments, converted by the one rule
     * @return the results, converted by the one rule
     * @throws LuaException             when the call raises an error, or the value cannot be called
     * @throws IllegalArgumentException when an argument has no Lua value
     * @throws IllegalStateException    after {@link #close()}, or once the state is closed
     */
    public Object[] call(Object... args) {
        return values.calls().execute(owner, CALL_OF[type.ordinal()], this::pushSelf, args);
    }

    /**
     * {@code value[key]}, as Lua indexes it ({@code __index} included).
     *
     * @param key the key, converted by the one rule
     * @return the value there, converted by the one rule (a table copied); null for nil
     * @throws LuaException when the value cannot be indexed, or a metamethod raises an error
     */
    public Object get(Object key) {
        return values.calls().execute(owner, "indexing a " + typeName(), L -> pushHelperAndSelf(L,
                LuaValues.INDEX), key)[0];
    }

    /**
     * A reference to {@code value[key]}, as Lua indexes it: unlike {@link #get}, a table there is not copied.
     *
     * @param key the key, converted by the one rule
     * @return a reference to the value there; null for nil
     * @throws LuaException when the value cannot be indexed, or a metamethod raises an error
     */
    public LuaValue reference(Object key) {
        return values.calls().execute(owner, "indexing a " + typeName(), L -> pushHelperAndSelf(L,
                LuaValues.INDEX), values::first, key);
    }

    /**
     * {@code value[key] = v}, as Lua assigns it ({@code __newindex} included).
     *
     * @param key   the key, converted by the one rule
     * @param value the value, converted by the one rule; null assigns nil
     * @throws LuaException             when the value cannot be indexed, the key is nil or NaN, or a metamethod
     *                                  raises an error
     * @throws IllegalArgumentException when the key or value has no Lua value
     */
    public void set(Object key, Object value) {
        values.calls().execute(owner, "assigning into a " + typeName(), L -> pushHelperAndSelf(L,
                LuaValues.NEWINDEX), key, value);
    }

    /**
     * {@code #value}: a table's border (the n of a sequence), a string's length in bytes, or what {@code __len}
     * says for a userdata or cdata.
     *
     * @return the length
     * @throws LuaException when the value has no length
     */
    public long length() {
        Object n = values.calls().execute(owner, "the length of a " + typeName(), L -> pushHelperAndSelf(L,
                LuaValues.LENGTH))[0];
        if (n instanceof Long l) {
            return l;
        }
        throw new LuaException(LuaException.Kind.RUNTIME, "the length of this " + typeName() + " is " + n
                + ", not an integer", "", null);
    }

    /**
     * The value converted by the one rule: a copy of a table (a {@link LuaTable}), the Java value of a boolean,
     * number or string; a function, coroutine, userdata or cdata stays a reference (a new one).
     *
     * @return the Java value
     */
    public Object toJava() {
        CallPath calls = values.calls();
        return calls.locked(owner, () -> {
            MemorySegment L = calls.running;
            int top = lua_gettop(L);
            try {
                if (!lua_checkstack(L, 2)) {
                    throw new IllegalStateException("the Lua stack is full");
                }
                pushSelf(L);
                return calls.values.toJava(L, top + 1);
            } catch (IllegalArgumentException e) {
                throw new LuaException(LuaException.Kind.RUNTIME, "converting a " + typeName() + ": "
                        + e.getMessage(), "", null);
            } finally {
                lua_settop(L, top);
            }
        });
    }

    /**
     * The pairs of a table, as Lua's {@code next} gives them, converted by the one rule: a copy made now, so
     * changing the table while iterating changes nothing here.
     *
     * @return an iterator over a snapshot of the pairs
     * @throws IllegalStateException when the value is not a table
     */
    @Override
    public Iterator<Map.Entry<Object, Object>> iterator() {
        if (type != Type.TABLE) {
            throw new IllegalStateException("only a table can be iterated; this is a " + typeName());
        }
        return ((LuaTable) toJava()).entrySet().iterator();
    }

    /**
     * Resumes a coroutine ({@code coroutine.resume}): starts it with {@code args} as its function's arguments, or
     * continues it from a yield, where {@code args} become what {@code coroutine.yield} returns.
     *
     * @param args the values passed in
     * @return what the coroutine yields, or what its function returns when it ends
     * @throws LuaException          when the coroutine raises an error (its message keeps the position in the
     *                               coroutine), or is dead or running
     * @throws IllegalStateException when the value is not a coroutine
     */
    public Object[] resume(Object... args) {
        requireThread("resumed");
        return values.calls().execute(owner, "resuming a coroutine", L -> pushHelperAndSelf(L, LuaValues.RESUME),
                args);
    }

    /**
     * Where a coroutine is ({@code coroutine.status}).
     *
     * @return its status
     * @throws IllegalStateException when the value is not a coroutine
     */
    public Status status() {
        requireThread("asked for its status");
        Object status = values.calls().execute(owner, "the status of a coroutine", L -> pushHelperAndSelf(L,
                LuaValues.STATUS))[0];
        return Status.valueOf(String.valueOf(status).toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * A Java object implementing {@code type} with this function or table: a function implements a functional
     * interface's one abstract method; a table implements each method by its field of that name, called as a Lua
     * method ({@code t:name(args)}, the table first). A method the table lacks runs the interface's default method,
     * or throws {@link UnsupportedOperationException}. Arguments convert by the one rule; the result converts to
     * the method's return type, or the call throws a {@link LuaException} naming why. {@code equals},
     * {@code hashCode} and {@code toString} are the proxy's own (identity). Calls run under the state's lock, from
     * any thread; the proxy keeps this reference (and the state) alive.
     *
     * @param type an interface
     * @param <T>  the interface
     * @return the proxy
     * @throws IllegalArgumentException when {@code type} is not an interface, or a function is asked to implement
     *                                  one with other than one abstract method
     */
    public <T> T proxy(Class<T> type) {
        return LuaProxies.proxy(this, type);
    }

    /**
     * Lets the value go: the reference is freed by the next thread that uses the state. A second close does nothing.
     */
    @Override
    public void close() {
        closed = true;
        cleanable.clean();
    }

    /**
     * Whether {@code other} is a reference to the same Lua value of the same state (raw equality).
     *
     * @param other the object to compare
     * @return whether both refer to one value
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof LuaValue that) || that.owner != owner || that.type != type) {
            return false;
        }
        return identity == that.identity && Objects.equals(scalar, that.scalar);
    }

    @Override
    public int hashCode() {
        return identity != 0 ? Long.hashCode(identity) : Objects.hashCode(scalar);
    }

    @Override
    public String toString() {
        return "LuaValue[" + typeName() + (identity != 0 ? ": 0x" + Long.toHexString(identity) : "")
                + (closed ? ", closed" : "") + "]";
    }

    // ---- the internals the library's other classes use --------------------------------------------------------

    /** Pushes the value onto {@code L}, a thread of the state whose conversions {@code pushing} are. */
    void pushInto(MemorySegment L, LuaValues pushing) {
        if (pushing != values) {
            throw new IllegalArgumentException("a LuaValue of another LuaState; a reference holds a value of its own"
                    + " state only (copy the value with toJava() to pass it on)");
        }
        checkOpen();
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    }

    /**
     * This function copied, upvalues and all, with {@code extra} (Java values, copied by the same rules once in
     * Lua), for a new state of a callback or thread ({@code what}): the payload that ljasync.copy makes here and
     * takes apart there.
     *
     * @throws IllegalArgumentException when this is not a function, or a value it holds cannot be copied (the message
     *                                  names it)
     */
    byte[] copied(String what, Object... extra) {
        if (type != Type.FUNCTION) {
            throw new IllegalArgumentException("a " + what + " is made from a Lua function, not from a " + typeName());
        }
        Object payload;
        try {
            payload = values.calls().execute(owner, "copying a function", L -> pushHelperAndSelf(L,
                    LuaValues.PACK), concat(what, extra))[0];
        } catch (LuaException e) {
            if (e.kind() != LuaException.Kind.RUNTIME) {
                throw e;
            }
            throw new IllegalArgumentException("the " + what + " function cannot be copied into a new state: "
                    + e.luaMessage(), e);
        }
        return payload instanceof String text ? text.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                : (byte[]) payload;
    }

    private static Object[] concat(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    String typeName() {
        return typeName(type);
    }

    private static String typeName(Type type) {
        return switch (type) {
            case LIGHT_USERDATA -> "light userdata";
            case THREAD -> "coroutine";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this LuaValue was closed");
        }
    }

    private void requireThread(String what) {
        if (type != Type.THREAD) {
            throw new IllegalStateException("only a coroutine can be " + what + "; this is a " + typeName());
        }
    }

    private int pushSelf(MemorySegment L) {
        checkOpen();
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        return 0;
    }

    private int pushHelperAndSelf(MemorySegment L, int helper) {
        checkOpen();
        values.pushHelper(L, helper);
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        return 1;
    }
}
