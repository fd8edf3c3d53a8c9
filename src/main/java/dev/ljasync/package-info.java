/**
 * lj-async for Java: LuaJIT driven from Java through the Foreign Function and Memory API.
 *
 * <ul>
 *   <li>{@link dev.ljasync.CallbackType} and {@link dev.ljasync.Callback}: a Lua function behind a C function
 *   pointer, made from a C type string ({@code "int (*)(const void *, const void *)"}), in states of its own, that
 *   native code may call from any thread, several at once.</li>
 *   <li>{@link dev.ljasync.LuaThread}: a thread running a Lua function in a state of its own, with join and a
 *   timeout, its result or error, and cancellation.</li>
 *   <li>{@link dev.ljasync.LuaState}: one {@code lua_State} driven from Java: it runs Lua source and bytecode, calls
 *   Lua functions with Java values (or through typed method handles), and lets Lua call
 *   {@link dev.ljasync.JavaFunction}s.</li>
 * </ul>
 * Every Lua error arrives in Java as a {@link dev.ljasync.LuaException}; none reaches LuaJIT's panic handler,
 * unwinds through Java or native frames, or ends the process.
 *
 * <pre>{@code
 * try (LuaState lua = LuaState.open()) {
 *     lua.register("util.shout", args -> args[0].toString().toUpperCase() + "!");
 *     Object[] r = lua.run("local name, n = ... return util.shout(name), n * 2", "hello", "lua", 21);
 *     // r = {"LUA!", 42L}
 * }
 * }</pre>
 *
 * <p>The library needs LuaJIT 2.1 ({@code libluajit-5.1.so.2}) and native access for this module
 * ({@code --enable-native-access=dev.ljasync}).
 */
package dev.ljasync;
