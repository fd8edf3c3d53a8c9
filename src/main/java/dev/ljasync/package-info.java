/**
 * lj-async for Java: LuaJIT driven from Java through the Foreign Function and Memory API.
 *
 * <p>{@link dev.ljasync.LuaState} owns one {@code lua_State}: it runs Lua source and bytecode, calls Lua functions
 * with Java values, and lets Lua call {@link dev.ljasync.JavaFunction}s. Every Lua error arrives in Java as a
 * {@link dev.ljasync.LuaException}; none reaches LuaJIT's panic handler or unwinds through Java frames.
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
