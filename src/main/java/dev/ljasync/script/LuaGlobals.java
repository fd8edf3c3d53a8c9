package dev.ljasync.script;

import dev.ljasync.JavaFunction;
import dev.ljasync.LuaState;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One engine's state and the raw access to its globals that the engine and its bindings need, through globals.lua:
 * the one place that runs Lua code for the engine. Every operation holds {@link #lock}, which the engine also holds
 * across the steps of one eval, so that what the engine does in its state is atomic for other threads.
 */
final class LuaGlobals implements AutoCloseable {

    private static final String CHUNK = "ljasync.script";
    private static final String SOURCE = source();
    // where a Java function waits, registered, before it moves to a key with a dot (register takes dotted names)
    private static final String REGISTERED = "ljasync_script_registered";

    final LuaState state;
    final ReentrantLock lock = new ReentrantLock();
    private final byte[] helper;

    LuaGlobals(LuaState state) {
        this.state = state;
        this.helper = state.compile(SOURCE, CHUNK);
    }

    /** The value of global {@code key}. */
    Object get(String key) {
        return op("get", key)[0];
    }

    /** Whether global {@code key} is not nil. */
    boolean has(String key) {
        return (Boolean) op("has", key)[0];
    }

    /**
     * Sets global {@code key} (a {@link JavaFunction} is registered there) and returns the value replaced (null
     * when it has no Java value).
     */
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

    /**
     * The values of these globals, by key: null for nil; keys whose value has no Java value are left out.
     */
    Map<String, Object> read(Iterable<String> keys) {
        lock.lock();
        try {
            List<Object> args = new ArrayList<>();
            args.add("read");
            keys.forEach(args::add);
            Object[] results = op(args.toArray());
            Map<String, Object> values = new LinkedHashMap<>();
            for (int i = 0; i < results.length; i += 2) {
                if ("value".equals(results[i])) {
                    values.put((String) args.get(1 + i / 2), results[i + 1]);
                }
            }
            return values;
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

    /** Runs globals.lua with {@code args}: the operation's name, then its operands. */
    private Object[] op(Object... args) {
        lock.lock();
        try {
            return state.run(helper, CHUNK, args);
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
