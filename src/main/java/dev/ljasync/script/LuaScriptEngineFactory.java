package dev.ljasync.script;

import dev.ljasync.LuaState;

import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import java.util.List;

/**
 * Makes {@link LuaScriptEngine}s: the {@link ScriptEngineFactory} that {@code javax.script.ScriptEngineManager}
 * finds under the names {@code lua}, {@code luajit} and {@code LuaJIT}, the extension {@code lua} and the MIME types
 * {@code text/x-lua} and {@code application/x-lua}. Thread-safe. Making the factory loads nothing: LuaJIT is loaded
 * by the first engine (or {@link #getEngineVersion()}).
 */
public final class LuaScriptEngineFactory implements ScriptEngineFactory {

    private static final List<String> NAMES = List.of("lua", "luajit", "LuaJIT");
    private static final List<String> EXTENSIONS = List.of("lua");
    private static final List<String> MIME_TYPES = List.of("text/x-lua", "application/x-lua");

    /** A factory; {@code ScriptEngineManager} makes one through the service loader. */
    public LuaScriptEngineFactory() {}

    /**
     * The engine's name.
     *
     * @return {@code "lj-async LuaJIT"}
     */
    @Override
    public String getEngineName() {
        return "lj-async LuaJIT";
    }

    /**
     * The version of the LuaJIT that runs the scripts ({@link LuaState#luaJitVersion()}), without its
     * {@code "LuaJIT "} prefix; loads LuaJIT.
     *
     * @return the version, such as {@code "2.1.0-beta3"}
     */
    @Override
    public String getEngineVersion() {
        String version = LuaState.luaJitVersion();
        return version.startsWith("LuaJIT ") ? version.substring("LuaJIT ".length()) : version;
    }

    /**
     * The file extensions of Lua scripts.
     *
     * @return {@code ["lua"]}
     */
    @Override
    public List<String> getExtensions() {
        return EXTENSIONS;
    }

    /**
     * The MIME types of Lua scripts.
     *
     * @return {@code ["text/x-lua", "application/x-lua"]}
     */
    @Override
    public List<String> getMimeTypes() {
        return MIME_TYPES;
    }

    /**
     * The names the engine is found by.
     *
     * @return {@code ["lua", "luajit", "LuaJIT"]}
     */
    @Override
    public List<String> getNames() {
        return NAMES;
    }

    /**
     * The language's name.
     *
     * @return {@code "Lua"}
     */
    @Override
    public String getLanguageName() {
        return "Lua";
    }

    /**
     * The version of the language LuaJIT implements.
     *
     * @return {@code "5.1"}
     */
    @Override
    public String getLanguageVersion() {
        return "5.1";
    }

    /**
     * The standard parameters, and {@code "THREADING"}: {@code "MULTITHREADED"}, since an engine may be used from
     * several threads at once (it runs their scripts one at a time, in its one state, where each sees what the
     * others did).
     *
     * @param key {@link ScriptEngine#ENGINE}, {@link ScriptEngine#ENGINE_VERSION}, {@link ScriptEngine#NAME},
     *            {@link ScriptEngine#LANGUAGE}, {@link ScriptEngine#LANGUAGE_VERSION} or {@code "THREADING"}
     * @return the value, or null for another key
     */
    @Override
    public Object getParameter(String key) {
        return switch (key) {
            case ScriptEngine.ENGINE -> getEngineName();
            case ScriptEngine.ENGINE_VERSION -> getEngineVersion();
            case ScriptEngine.NAME -> NAMES.getFirst();
            case ScriptEngine.LANGUAGE -> getLanguageName();
            case ScriptEngine.LANGUAGE_VERSION -> getLanguageVersion();
            case "THREADING" -> "MULTITHREADED";
            default -> null;
        };
    }

    /**
     * A Lua method call: {@code obj:m(arg1, arg2)}.
     *
     * @param obj  the receiver's expression
     * @param m    the method's name
     * @param args the arguments' expressions
     * @return the call
     */
    @Override
    public String getMethodCallSyntax(String obj, String m, String... args) {
        return obj + ":" + m + "(" + String.join(", ", args) + ")";
    }

    /**
     * A statement that prints a Lua expression: {@code print(toDisplay)}; pass a string as a Lua literal
     * ({@code "'hello'"}).
     *
     * @param toDisplay the expression to print
     * @return the statement
     */
    @Override
    public String getOutputStatement(String toDisplay) {
        return "print(" + toDisplay + ")";
    }

    /**
     * A chunk of these statements, one a line.
     *
     * @param statements the statements
     * @return the chunk
     */
    @Override
    public String getProgram(String... statements) {
        return String.join("\n", statements);
    }

    /**
     * A new engine, with a state of its own opened as {@link LuaState#open()} opens one: all of LuaJIT's libraries,
     * with the library's sandbox defaults.
     *
     * @return the engine, open until {@link LuaScriptEngine#close()}
     */
    @Override
    public LuaScriptEngine getScriptEngine() {
        return getScriptEngine(LuaState.builder());
    }

    /**
     * A new engine whose state {@code state} opens: chosen libraries, a memory or time limit. The engine sets the
     * builder's output and error output: Lua's {@code print}, {@code io.write} and {@code io.stderr} write to the
     * writer and error writer of the context of the eval or call that runs, one line at a time, as JSR-223 asks.
     *
     * @param state the builder of the engine's state
     * @return the engine, open until {@link LuaScriptEngine#close()}
     */
    public LuaScriptEngine getScriptEngine(LuaState.Builder state) {
        // the engine does not exist before its state: the sinks find it once it does
        java.util.concurrent.atomic.AtomicReference<LuaScriptEngine> made = new java.util.concurrent.atomic
                .AtomicReference<>();
        state.output(line -> made.get().writeLine(false, line)).errorOutput(line -> made.get().writeLine(true, line));
        LuaScriptEngine engine = LuaScriptEngine.over(this, state.open());
        made.set(engine);
        return engine;
    }
}
