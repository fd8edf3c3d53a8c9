package dev.ljasync.script;

import dev.ljasync.JavaFunction;
import dev.ljasync.LuaState;
import dev.ljasync.LuaValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One engine's state and the raw access to its globals that the engine and its bindings need, through the
 * dispatcher function that globals.lua gives: the one place that runs Lua code for the engine, run once and then
 * called. Every operation holds {@link #lock}, which the engine also holds across the steps of one eval, so that
 * what the engine does in its state is atomic for other threads.
 */
final class LuaGlobals implements AutoCloseable {

    private static final String CHUNK = "ljasync.script";
    private static final String SOURCE = source();
    // where a Java function waits, registered, before it moves to a key with a dot (register takes dotted names)
    private static final String REGISTERED = "ljasync_script_registered";
    // where globals.lua leaves its taker, referenced once and removed at once
    private static final String TAKER = "ljasync_script_taker";

    final LuaState state;
    final ReentrantLock lock = new ReentrantLock();
    private final LuaValue dispatcher; // globals.lua's function: (operation, operands...)
    private final LuaValue taker; // any key of it gives, once, what the dispatcher's "hold" operations left
    private LuaValue functions; // the global functions as methods, made on first use; guarded by lock

    LuaGlobals(LuaState state) {
        this.state = state;
        this.dispatcher = (LuaValue) state.run(SOURCE, CHUNK, TAKER)[0];
        this.taker = state.reference(TAKER);
        op("put", TAKER, null);
    }

    /** The value of global {@code key}. */
    Object get(String key) {
        return op("get", key)[0];
    }

    /** Whether global {@code key} is not nil. */
    boolean has(String key) {
        return (Boolean) op("has", key)[0];
    }

    /** Sets global {@code key} (a {@link JavaFunction} is registered there) and returns the value replaced. */
    Object put(String key, Object value) {
        lock.lock();
        try {
            if (value instanceof JavaFunction function) {
                Object old = op("put", key, null)[0];
                // register takes a dotted name; a key with a dot is reached through a name of the engine's own
                String name = key.indexOf('.') < 0 ? key : REGISTERED;
                state.register(name, function);
                op("move", name, key);
                return old;
            }
            return op("put", key, value)[0];
        } catch (IllegalArgumentException e) {
            throw refused("the value for '" + key + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /** The string keys of the globals. */
    String[] keys() {
        Object[] keys = op("keys");
        return Arrays.copyOf(keys, keys.length, String[].class);
    }

    /** The values of these globals, by key, in their order: null for nil. */
    Map<String, Object> read(Collection<String> keys) {
        List<Object> args = new ArrayList<>(keys.size() + 1);
        args.add("read");
        args.addAll(keys);
        Object[] results = op(args.toArray());
        Map<String, Object> values = new LinkedHashMap<>();
        int i = 0;
        for (String key : keys) {
            values.put(key, i < results.length ? results[i] : null);
            i++;
        }
        return values;
    }

    /** A live reference to global {@code key} (read raw); null for nil. */
    LuaValue reference(String key) {
        lock.lock();
        try {
            op("holdglobal", key);
            return taker.reference(1);
        } finally {
            lock.unlock();
        }
    }

    /** {@code value} in Lua, as a reference: a Map, List or array becomes a new table, a LuaValue stays itself. */
    LuaValue referenceTo(Object value) {
        if (value instanceof LuaValue reference) {
            return reference;
        }
        lock.lock();
        try {
            op("hold", value);
            return taker.reference(1);
        } catch (IllegalArgumentException e) {
            throw refused("the receiver", e);
        } finally {
            lock.unlock();
        }
    }

    /** A table whose methods call the global functions of their names, without self: {@code t:f(x)} is {@code f(x)}. */
    LuaValue functions() {
        lock.lock();
        try {
            if (functions == null) {
                op("holdfunctions");
                functions = taker.reference(1);
            }
            return functions;
        } finally {
            lock.unlock();
        }
    }

    /** Whether global {@code name} is callable. */
    boolean hasFunction(String name) {
        return (Boolean) op("hasfunction", name)[0];
    }

    /** Calls global function {@code name}; false first when there is none, else true and the results. */
    Object[] call(String name, Object[] args) {
        try {
            return op(spread(new Object[] {"call", name}, args));
        } catch (IllegalArgumentException e) {
            throw refused("an argument for " + name + "()", e);
        }
    }

    /** Whether {@code receiver} has a callable {@code name}. */
    boolean hasMethod(Object receiver, String name) {
        return (Boolean) op("hasmethod", receiver, name)[0];
    }

    /** Calls {@code receiver:name(args)}; false first when there is no such method, else true and the results. */
    Object[] callMethod(Object receiver, String name, Object[] args) {
        try {
            return op(spread(new Object[] {"method", receiver, name}, args));
        } catch (IllegalArgumentException e) {
            throw refused("the receiver or an argument for method " + name + "()", e);
        }
    }

    /** Makes the globals' {@code __index} call {@code lookup} with the key of a global the state does not have. */
    void readMissingThrough(JavaFunction lookup) {
        lock.lock();
        try {
            // the name Lua's messages give it: "Java function 'GLOBAL_SCOPE' threw ..."; removed at once
            state.register("GLOBAL_SCOPE", lookup);
            op("scope", "GLOBAL_SCOPE");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        state.close();
    }

    /** Calls the dispatcher with {@code args}: the operation's name, then its operands. */
    private Object[] op(Object... args) {
        lock.lock();
        try {
            return dispatcher.call(args);
        } finally {
            lock.unlock();
        }
    }

    /** A value refused on its way to Lua, named as the caller knows it (not as an operand of globals.lua). */
    private static IllegalArgumentException refused(String what, IllegalArgumentException e) {
        String reason = e.getCause() instanceof IllegalArgumentException cause ? cause.getMessage() : e.getMessage();
        return new IllegalArgumentException(what + ": " + reason, e);
    }

    private static Object[] spread(Object[] head, Object[] tail) {
        Object[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    private static String source() {
        try (InputStream in = LuaGlobals.class.getResourceAsStream("globals.lua")) {
            if (in == null) {
                throw new IllegalStateException("globals.lua is missing from the lj-async jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
