package dev.ljasync.script;

import dev.ljasync.LuaValue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * {@link LuaScriptEngine#getInterface}: the core's proxy ({@link LuaValue#proxy}) over the receiver, or over a table
 * whose methods call the global functions of their names; JSR 223's part is the check that Lua has a function for
 * every method without a default.
 */
final class ScriptInterface {

    private ScriptInterface() {}

    /** The proxy, or null when Lua lacks a function for a method without a default. */
    static <T> T of(Class<T> type, LuaGlobals globals, Object receiver) {
        if (type == null || !type.isInterface()) {
            throw new IllegalArgumentException("getInterface needs an interface, not " + type);
        }
        globals.lock.lock();
        try {
            LuaValue target = receiver == null ? globals.functions() : globals.referenceTo(receiver);
            for (Method method : type.getMethods()) {
                if (Modifier.isStatic(method.getModifiers()) || method.isDefault() || isObjectMethod(method)) {
                    continue;
                }
                String name = method.getName();
                if (!(receiver == null ? globals.hasFunction(name) : globals.hasMethod(target, name))) {
                    return null;
                }
            }
            return target.proxy(type);
        } finally {
            globals.lock.unlock();
        }
    }

    /** Whether Object implements {@code method} (as Comparator's {@code equals}): the proxy's own, not Lua's. */
    private static boolean isObjectMethod(Method method) {
        try {
            Object.class.getMethod(method.getName(), method.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
