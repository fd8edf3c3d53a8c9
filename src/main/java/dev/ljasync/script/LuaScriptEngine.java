package dev.ljasync.script;

import dev.ljasync.LuaException;
import dev.ljasync.LuaState;
import dev.ljasync.LuaValue;

import javax.script.AbstractScriptEngine;
import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.Invocable;
import javax.script.ScriptContext;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import javax.script.ScriptException;
import javax.script.SimpleBindings;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link ScriptEngine} for Lua, run by LuaJIT in one {@link LuaState} of its own; thread-safe (scripts, calls
 * and bindings from several threads run one at a time). Made by {@link LuaScriptEngineFactory}, which
 * {@code new ScriptEngineManager().getEngineByName("lua")} finds.
 *
 * <p>Its {@code ENGINE_SCOPE} bindings are the state's globals, live: {@code put("x", 1)} makes global {@code x}, and
 * a global a script sets is there to {@code get}. A {@link dev.ljasync.JavaFunction} put there is registered as a
 * Lua function. Lua code reading a global that the state does not have gets the value of that name in the
 * {@code GLOBAL_SCOPE} (the manager's bindings) of the context in force, read at that moment (through an
 * {@code __index} on the globals, which a script that sets a metatable of its own on them replaces). Values convert as
 * for {@link LuaState}: a table reads as a copy ({@link dev.ljasync.LuaTable}), a function, coroutine, userdata or
 * cdata as a {@link LuaValue}; {@link #reference(String)} gives a live reference to any global, a table included.
 * A Map, List or array put there becomes a table.
 *
 * <p>An eval with a context (or bindings) of your own, whose {@code ENGINE_SCOPE} is not this engine's, copies
 * that scope in as globals first and back out afterwards (also after an error): every name it held and every
 * global the script created, whatever its value; a name the script set to nil is removed, and a name that holds
 * what it held right after the copy in keeps its binding (an Integer stays one, a Map stays that Map). The state
 * keeps those globals: it has one set of globals, which such an eval shares, not a copy.
 *
 * <p>The value of an eval is the chunk's first result (null for none). A Lua error is a {@link ScriptException}
 * with the Lua message, the chunk's name ({@link ScriptEngine#FILENAME}, else {@code "script"}) and the line; its
 * cause is the {@link LuaException}, with the traceback.
 *
 * <p>The engine holds native memory until {@link #close()}; one dropped without it is closed by the garbage
 * collector, as a {@link LuaState} is.
 */
public final class LuaScriptEngine extends AbstractScriptEngine implements Invocable, Compilable, AutoCloseable {

    private static final String DEFAULT_NAME = "script";

    private final LuaScriptEngineFactory factory;
    private final LuaGlobals globals;
    private final GlobalBindings engineScope;
    // the context of the eval or call in progress on each thread (a proxy's call, which does not take the
    // engine's lock, may run between the steps of another thread's eval: it reads its own thread's context)
    private final ThreadLocal<ScriptContext> active = new ThreadLocal<>();

    private LuaScriptEngine(LuaScriptEngineFactory factory, LuaGlobals globals, GlobalBindings engineScope) {
        super(engineScope);
        this.factory = factory;
        this.globals = globals;
        this.engineScope = engineScope;
        globals.readMissingThrough(args -> {
            ScriptContext current = active.get();
            Bindings scope = (current != null ? current : context).getBindings(ScriptContext.GLOBAL_SCOPE);
            return scope == null ? null : scope.get(args[0]);
        });
    }

    /**
     * Writes a line of the state's output (or error output) to the writer of the context of the eval or call that
     * runs on this thread, or of the engine's context.
     */
    void writeLine(boolean error, String line) {
        ScriptContext current = active.get();
        ScriptContext target = current != null ? current : context;
        java.io.Writer writer = error ? target.getErrorWriter() : target.getWriter();
        try {
            writer.write(line);
            writer.write('\n');
            writer.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** An engine over {@code state}, which it owns. */
    static LuaScriptEngine over(LuaScriptEngineFactory factory, LuaState state) {
        try {
            LuaGlobals globals = new LuaGlobals(state);
            return new LuaScriptEngine(factory, globals, new GlobalBindings(globals));
        } catch (RuntimeException | Error e) {
            state.close();
            throw e;
        }
    }

    // ---- ScriptEngine ----------------------------------------------------------------------------------------------

    /**
     * Runs Lua source text in {@code context}.
     *
     * @param script  the Lua source text
     * @param context the context: its {@code ENGINE_SCOPE}, {@code GLOBAL_SCOPE} and {@link ScriptEngine#FILENAME}
     * @return the chunk's first result, or null
     * @throws ScriptException      when it does not compile or raises an error
     * @throws NullPointerException when an argument is null
     */
    @Override
    public Object eval(String script, ScriptContext context) throws ScriptException {
        requireNonNull(script, "script");
        requireNonNull(context, "context");
        return first(in(context, () -> globals.state.run(script, chunkName(context))));
    }

    /**
     * Reads Lua source text to its end and runs it in {@code context}.
     *
     * @param reader  the source
     * @param context the context, as for {@link #eval(String, ScriptContext)}
     * @return the chunk's first result, or null
     * @throws ScriptException      when it cannot be read, does not compile or raises an error
     * @throws NullPointerException when an argument is null
     */
    @Override
    public Object eval(Reader reader, ScriptContext context) throws ScriptException {
        requireNonNull(reader, "reader");
        return eval(read(reader), context);
    }

    /**
     * New, empty bindings (a {@link SimpleBindings}), for a context of your own.
     *
     * @return the bindings
     */
    @Override
    public Bindings createBindings() {
        return new SimpleBindings();
    }

    /**
     * The factory that made this engine.
     *
     * @return the factory
     */
    @Override
    public ScriptEngineFactory getFactory() {
        return factory;
    }

    // ---- Compilable ------------------------------------------------------------------------------------------------

    /**
     * Compiles Lua source text to LuaJIT bytecode ({@link LuaState#compile}), named by this engine's context's
     * {@link ScriptEngine#FILENAME}; each {@code eval} of the result runs it again.
     *
     * @param script the Lua source text
     * @return the compiled script
     * @throws ScriptException      when it does not compile
     * @throws NullPointerException when the script is null
     */
    @Override
    public CompiledScript compile(String script) throws ScriptException {
        requireNonNull(script, "script");
        String name = chunkName(context);
        byte[] bytecode = locked(() -> globals.state.compile(script, name));
        return new CompiledScript() {
            @Override
            public Object eval(ScriptContext context) throws ScriptException {
                requireNonNull(context, "context");
                return first(in(context, () -> globals.state.run(bytecode, name)));
            }

            @Override
            public ScriptEngine getEngine() {
                return LuaScriptEngine.this;
            }
        };
    }

    /**
     * Reads Lua source text to its end and compiles it; see {@link #compile(String)}.
     *
     * @param script the source
     * @return the compiled script
     * @throws ScriptException      when it cannot be read or does not compile
     * @throws NullPointerException when the reader is null
     */
    @Override
    public CompiledScript compile(Reader script) throws ScriptException {
        requireNonNull(script, "script");
        return compile(read(script));
    }

    // ---- Invocable -------------------------------------------------------------------------------------------------

    /**
     * Calls a global function of the state (a raw read of the global: not one of the global scope).
     *
     * @param name the global's name
     * @param args the arguments, converted as for {@link LuaState}
     * @return the function's first result, or null
     * @throws ScriptException          when the function raises an error
     * @throws NoSuchMethodException    when the global is not a function (nor has a {@code __call} metamethod)
     * @throws IllegalArgumentException when an argument has no Lua value
     * @throws NullPointerException     when the name is null
     */
    @Override
    public Object invokeFunction(String name, Object... args) throws ScriptException, NoSuchMethodException {
        requireNonNull(name, "name");
        Object[] results = in(context, () -> globals.call(name, args == null ? new Object[0] : args));
        if (Boolean.FALSE.equals(results[0])) {
            throw new NoSuchMethodException("global '" + name + "' is not a function in this engine's state");
        }
        return results.length > 1 ? results[1] : null;
    }

    /**
     * Calls a method of a Lua value, as {@code thiz:name(args)} does. A {@link LuaValue} receiver (from
     * {@link #reference(String)}, or a userdata from {@code get}) is the value itself; a {@link dev.ljasync.LuaTable}
     * (a table an eval returned or {@code get} read) or another Map goes in as a new table, so what the method changes
     * in {@code self} is not kept; a string has the {@code string} library's methods.
     *
     * @param thiz the receiver, converted as for {@link LuaState}
     * @param name the method's name
     * @param args the arguments
     * @return the method's first result, or null
     * @throws ScriptException          when the method raises an error
     * @throws NoSuchMethodException    when the receiver has no such method
     * @throws IllegalArgumentException when the receiver is null, or it or an argument has no Lua value
     * @throws NullPointerException     when the name is null
     */
    @Override
    public Object invokeMethod(Object thiz, String name, Object... args)
            throws ScriptException, NoSuchMethodException {
        requireNonNull(name, "name");
        if (thiz == null) {
            throw new IllegalArgumentException("invokeMethod needs a receiver: thiz is null");
        }
        Object[] results = in(context, () -> globals.callMethod(thiz, name, args == null ? new Object[0] : args));
        if (Boolean.FALSE.equals(results[0])) {
            throw new NoSuchMethodException("the receiver has no method '" + name + "'");
        }
        return results.length > 1 ? results[1] : null;
    }

    /**
     * The global functions of the state as an implementation of {@code type}: each method calls the global function
     * of its name (read at each call), and its result converts to the method's return type as for
     * {@link LuaValue#proxy}. A Lua error, or a result of another type, is thrown as a {@link LuaException}; a method
     * whose function is gone by then runs its default, or throws {@link UnsupportedOperationException}.
     *
     * @param type an interface
     * @param <T>  the interface
     * @return the implementation, or null when a method that has no default has no global function
     * @throws IllegalArgumentException when {@code type} is not an interface
     */
    @Override
    public <T> T getInterface(Class<T> type) {
        return ScriptInterface.of(type, globals, null);
    }

    /**
     * The methods of a Lua value as an implementation of {@code type}: {@link LuaValue#proxy} over the receiver,
     * each method calling {@code thiz:name(args)}. The receiver is taken as {@link #invokeMethod} takes it: a
     * {@link LuaValue} is the value itself, a copy goes in once as a new table that the proxy keeps.
     *
     * @param thiz the receiver
     * @param type an interface
     * @param <T>  the interface
     * @return the implementation, or null when a method that has no default is not a method of {@code thiz}
     * @throws IllegalArgumentException when {@code thiz} is null or has no Lua value, when {@code type} is not an
     *                                  interface, or when {@code thiz} is neither a table nor a userdata (a string)
     */
    @Override
    public <T> T getInterface(Object thiz, Class<T> type) {
        if (thiz == null) {
            throw new IllegalArgumentException("getInterface needs a receiver: thiz is null");
        }
        return ScriptInterface.of(type, globals, thiz);
    }

    /**
     * A live reference to a global of the state, read raw as the engine scope reads it: unlike {@code get}, a table
     * is not copied, so changes made through the reference are changes to the table in Lua, and it can be the
     * receiver of {@link #invokeMethod} and {@link #getInterface(Object, Class)} as the table itself.
     *
     * @param name the global's name (any string key, dots included)
     * @return the reference; null when the global is nil
     * @throws IllegalStateException after {@link #close()}
     * @throws NullPointerException  when the name is null
     */
    public LuaValue reference(String name) {
        requireNonNull(name, "name");
        return globals.reference(name);
    }

    // ---- lifetime --------------------------------------------------------------------------------------------------

    /**
     * Closes the engine's state ({@link LuaState#close()}); later use is an {@link IllegalStateException}. A second
     * close does nothing.
     */
    @Override
    public void close() {
        globals.close();
    }

    @Override
    public String toString() {
        return "LuaScriptEngine[" + globals.state + "]";
    }

    // ---- running in a context --------------------------------------------------------------------------------------

    /** A step in Lua, throwing what LuaException it throws. */
    @FunctionalInterface
    private interface Step<T> {
        T run();
    }

    /**
     * Runs {@code step} with {@code context} in force, under the engine's lock; a context whose engine scope is not
     * the globals is copied in and back out. A Lua error becomes a {@link ScriptException}.
     */
    private <T> T in(ScriptContext context, Step<T> step) throws ScriptException {
        return locked(() -> {
            ScriptContext previous = active.get();
            active.set(context);
            try {
                Bindings scope = context.getBindings(ScriptContext.ENGINE_SCOPE);
                return scope == engineScope || scope == null ? step.run() : copied(scope, step);
            } finally {
                if (previous == null) {
                    active.remove();
                } else {
                    active.set(previous);
                }
            }
        });
    }

    /** Runs {@code step} under the engine's lock; a Lua error becomes a {@link ScriptException}. */
    private <T> T locked(Step<T> step) throws ScriptException {
        globals.lock.lock();
        try {
            return step.run();
        } catch (LuaException e) {
            throw scriptException(e);
        } finally {
            globals.lock.unlock();
        }
    }

    /**
     * Runs {@code step} with {@code scope} copied in as globals, and back out afterwards. What each name holds in Lua
     * right after the copy in is read back at once: a name that holds the same afterwards (equal Java values) was
     * left as it was, and keeps its binding, of its own Java type (an Integer stays one, a Map stays that Map).
     */
    private <T> T copied(Bindings scope, Step<T> step) {
        Set<String> before = new HashSet<>(List.of(globals.keys()));
        Map<String, Object> copied = new LinkedHashMap<>(scope);
        copied.forEach(globals::put);
        Map<String, Object> in = globals.read(copied.keySet());
        Throwable failure = null;
        try {
            return step.run();
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            try {
                Set<String> names = new LinkedHashSet<>(copied.keySet());
                for (String key : globals.keys()) {
                    if (!before.contains(key)) {
                        names.add(key);
                    }
                }
                globals.read(names).forEach((name, value) -> {
                    if (in.containsKey(name) && same(in.get(name), value)) {
                        return; // left as it was
                    }
                    if (value == null) {
                        scope.remove(name);
                    } else {
                        scope.put(name, value);
                    }
                });
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }

    /** Whether two Java values of Lua values are equal; a table that holds itself is never found equal. */
    private static boolean same(Object a, Object b) {
        try {
            return Objects.deepEquals(a, b);
        } catch (StackOverflowError cyclic) { // Map.equals of two tables that hold themselves does not end
            return false;
        }
    }

    static ScriptException scriptException(LuaException e) {
        ScriptException failure = new ScriptException(e.luaMessage(), e.chunkName(), e.line());
        failure.initCause(e);
        return failure;
    }

    private static String chunkName(ScriptContext context) {
        Object name = context.getAttribute(ScriptEngine.FILENAME);
        return name instanceof String s && !s.isEmpty() ? s : DEFAULT_NAME;
    }

    private static Object first(Object[] results) {
        return results.length > 0 ? results[0] : null;
    }

    private static String read(Reader reader) throws ScriptException {
        StringWriter text = new StringWriter();
        try {
            reader.transferTo(text);
        } catch (IOException e) {
            throw new ScriptException(e);
        }
        return text.toString();
    }

    private static void requireNonNull(Object value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " is null");
        }
    }
}
