/**
 * The standard scripting API ({@code javax.script}, JSR 223) for LuaJIT: {@link dev.ljasync.script.LuaScriptEngine},
 * found by {@code javax.script.ScriptEngineManager} under the names {@code lua}, {@code luajit} and {@code LuaJIT}
 * and the extension {@code lua}, on the module path ({@code provides}) and the class path
 * ({@code META-INF/services}) alike.
 *
 * <pre>{@code
 * ScriptEngine lua = new ScriptEngineManager().getEngineByName("lua");
 * lua.put("n", 20);
 * Object r = lua.eval("return n * 2 + 2"); // 42L
 * Object s = ((Invocable) lua).invokeFunction("tostring", r); // "42"
 * ((AutoCloseable) lua).close();
 * }</pre>
 *
 * <ul>
 *   <li>One {@link dev.ljasync.LuaState} per engine, thread-safe: evals, calls and bindings from several threads
 *   run one at a time ({@code THREADING} is {@code "MULTITHREADED"}). The engine is {@link AutoCloseable}; one
 *   dropped without closing is freed by the garbage collector, as a state is.</li>
 *   <li>{@code ENGINE_SCOPE} is the state's globals, live, both ways. Lua code reading a global the state does not
 *   have gets the value the {@code GLOBAL_SCOPE} has for that name at that moment. A {@link dev.ljasync.JavaFunction}
 *   put in the bindings becomes a Lua function.</li>
 *   <li>An eval with a {@code ScriptContext} or {@code Bindings} of your own copies its engine scope in as globals
 *   and back out afterwards (its names, and the globals the script created), in the one state.</li>
 *   <li>{@code eval} returns the chunk's first result; {@link javax.script.ScriptEngine#FILENAME} names the chunk; a
 *   Lua error is a {@link javax.script.ScriptException} with the file name, the line and the message, caused by the
 *   {@link dev.ljasync.LuaException}.</li>
 *   <li>{@link javax.script.Invocable}: global functions, methods ({@code thiz:name(...)}, of a table copy, a
 *   {@link dev.ljasync.LuaValue} or a string), and interfaces implemented by either through the library's own proxies
 *   ({@link dev.ljasync.LuaValue#proxy}: one conversion of results, the core's). {@link javax.script.Compilable}:
 *   LuaJIT bytecode, run again by each {@code eval}.</li>
 * </ul>
 * Values convert as for {@link dev.ljasync.LuaState}, every one: a table reads as a {@link dev.ljasync.LuaTable}
 * copy, a function, coroutine, userdata or cdata as a {@link dev.ljasync.LuaValue};
 * {@link dev.ljasync.script.LuaScriptEngine#reference(String)} gives a live reference to a global. A Map, List or
 * array in the bindings becomes a table, and any other Java object a Java object in Lua, which comes back as
 * itself. Lua's {@code print} and {@code io.write} write to the writer of the context of the eval or call that runs
 * ({@link javax.script.ScriptContext#getWriter()}), {@code io.stderr} to its error writer, a line at a time.
 *
 * <p>Threading: an eval, {@code invokeFunction}, {@code invokeMethod} and each binding's read or write hold the
 * engine's lock, so the steps of an eval with bindings of its own (copy in, run, copy back) are atomic for other
 * threads. A call through a {@code getInterface} proxy, or through a {@link dev.ljasync.LuaValue} the engine gave,
 * holds only the state's lock: each call is atomic, but it may run between the steps of another thread's eval and
 * see the globals that eval copied in. That is what {@code "MULTITHREADED"} allows (scripts may run concurrently,
 * each seeing the others' effects), and a proxy holds no lock between calls. Lua code run by such a call reads the
 * global scope of the context in force on its own thread (the engine's default context outside an eval).
 */
package dev.ljasync.script;
