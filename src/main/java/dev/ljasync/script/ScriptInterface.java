package dev.ljasync.script;

import javax.script.ScriptException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.Set;

/**
 * {@link LuaScriptEngine#getInterface}: a proxy whose methods call Lua functions of the same names, global ones or
 * methods of a receiver, with each result converted to the method's return type.
 */
final class ScriptInterface implements InvocationHandler {

    private final LuaScriptEngine engine;
    private final Object receiver; // null for global functions
    private final Set<String> inLua; // the names Lua has, of the interface's methods

    private ScriptInterface(LuaScriptEngine engine, Object receiver, Set<String> inLua) {
        this.engine = engine;
        this.receiver = receiver;
        this.inLua = inLua;
    }

    /** The proxy, or null when Lua lacks a function for a method without a default. */
    static <T> T of(Class<T> type, LuaScriptEngine engine, Object receiver) {
        if (type == null || !type.isInterface()) {
            throw new IllegalArgumentException("getInterface needs an interface, not " + type);
        }
        LuaGlobals globals = engine.globals();
        Set<String> inLua = new HashSet<>();
        globals.lock.lock();
        try {
            for (Method method : type.getMethods()) {
                if (Modifier.isStatic(method.getModifiers())) {
                    continue;
                }
                String name = method.getName();
                boolean has = receiver == null ? globals.hasFunction(name) : globals.hasMethod(receiver, name);
                if (has) {
                    inLua.add(name);
                } else if (!method.isDefault()) {
                    return null;
                }
            }
        } finally {
            globals.lock.unlock();
        }
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                new ScriptInterface(engine, receiver, inLua));
        return type.cast(proxy);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "Lua implementation of " + proxy.getClass().getInterfaces()[0].getName()
                        + (receiver == null ? "" : " by " + receiver);
            };
        }
        String name = method.getName();
        if (!inLua.contains(name)) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        Object[] arguments = args == null ? new Object[0] : args;
        LuaGlobals globals = engine.globals();
        Object[] results;
        try {
            results = engine.in(engine.getContext(), () -> receiver == null ? globals.call(name, arguments)
                    : globals.callMethod(receiver, name, arguments));
        } catch (ScriptException e) {
            throw e.getCause(); // the LuaException, unchecked
        }
        if (Boolean.FALSE.equals(results[0])) {
            throw new IllegalStateException("the Lua function for " + method + " is gone");
        }
        return returned(method, results.length > 1 ? results[1] : null);
    }

    /** A Lua result as {@code method} returns it; a value of another type is a ClassCastException. */
    private static Object returned(Method method, Object value) {
        Class<?> type = method.getReturnType();
        if (type == void.class) {
            return null;
        }
        if (value == null) {
            if (type.isPrimitive()) {
                throw new NullPointerException(method + " returned nil, which is not a " + type);
            }
            return null;
        }
        Class<?> boxed = box(type);
        if (value instanceof Number number && Number.class.isAssignableFrom(boxed) && !boxed.isInstance(value)) {
            Object converted = number(number, boxed);
            if (converted != null) {
                return converted;
            }
        } else if (boxed.isInstance(value)) {
            return value;
        }
        throw new ClassCastException(method + " returned " + value + " (" + value.getClass().getName()
                + "), which is not a " + type.getName());
    }

    /** {@code n} as a {@code type}, or null when it does not hold exactly. */
    private static Object number(Number n, Class<?> type) {
        if (type == Double.class) return n.doubleValue();
        if (type == Float.class) return n.floatValue();
        if (!(n instanceof Long l)) return null; // not integral
        if (type == Integer.class && l == l.intValue()) return l.intValue();
        if (type == Short.class && l == l.shortValue()) return l.shortValue();
        if (type == Byte.class && l == l.byteValue()) return l.byteValue();
        return null;
    }

    private static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) return type;
        if (type == int.class) return Integer.class;
        if (type == long.class) return Long.class;
        if (type == double.class) return Double.class;
        if (type == boolean.class) return Boolean.class;
        if (type == float.class) return Float.class;
        if (type == short.class) return Short.class;
        if (type == byte.class) return Byte.class;
        return Character.class;
    }
}
