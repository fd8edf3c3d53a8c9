package dev.ljasync.script;

import javax.script.Bindings;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An engine's {@code ENGINE_SCOPE}: its state's globals, live. Reads and writes are raw (no metamethods), so the
 * manager's global scope, which Lua code sees through the globals' {@code __index}, is not part of it. Iteration
 * sees the string keys of a moment and reads each value when asked.
 */
final class GlobalBindings extends AbstractMap<String, Object> implements Bindings {

    private final LuaGlobals globals;

    GlobalBindings(LuaGlobals globals) {
        this.globals = globals;
    }

    @Override
    public Object put(String name, Object value) {
        return globals.put(key(name), value);
    }

    @Override
    public void putAll(Map<? extends String, ?> toMerge) {
        globals.lock.lock();
        try {
            toMerge.forEach(this::put);
        } finally {
            globals.lock.unlock();
        }
    }

    @Override
    public Object get(Object key) {
        return globals.get(key(key));
    }

    @Override
    public boolean containsKey(Object key) {
        return globals.has(key(key));
    }

    @Override
    public Object remove(Object key) {
        return globals.put(key(key), null);
    }

    @Override
    public int size() {
        return globals.keys().length;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Object>> iterator() {
                String[] keys = globals.keys();
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < keys.length;
                    }

                    @Override
                    public Entry<String, Object> next() {
                        if (next >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        String key = keys[next++];
                        return new SimpleEntry<>(key, null) {
                            @Override
                            public Object getValue() {
                                return globals.get(key);
                            }

                            @Override
                            public Object setValue(Object value) {
                                return globals.put(key, value);
                            }
                        };
                    }

                    @Override
                    public void remove() {
                        if (next == 0) {
                            throw new IllegalStateException("remove() before next()");
                        }
                        globals.put(keys[next - 1], null);
                    }
                };
            }

            @Override
            public int size() {
                return GlobalBindings.this.size();
            }
        };
    }

    /** A key as {@link Bindings} requires: a String, not empty. */
    private static String key(Object key) {
        if (key == null) {
            throw new NullPointerException("a binding's name cannot be null");
        }
        if (!(key instanceof String name)) {
            throw new ClassCastException("a binding's name is a String, not a " + key.getClass().getName());
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a binding's name cannot be empty");
        }
        return name;
    }
}
