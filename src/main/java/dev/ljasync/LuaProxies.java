package dev.ljasync;

import dev.ljasync.internal.values.LuaToJava;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Java interfaces implemented by Lua functions and tables ({@link LuaValue#proxy}): a {@link Proxy} whose every
 * call goes through the reference, under its state's lock.
 */
final class LuaProxies {

    private LuaProxies() {}

    static <T> T proxy(LuaValue value, Class<T> type) {
        if (!type.isInterface()) {
            throw new IllegalArgumentException(type.getName() + " is not an interface; a Lua value can implement"
                    + " interfaces only");
        }
        Method single = null;
        switch (value.type()) {
            case FUNCTION -> {
                List<Method> abstracts = abstractMethods(type);
                if (abstracts.size() != 1) {
                    throw new IllegalArgumentException("a Lua function implements an interface of one abstract"
                            + " method; " + type.getName() + " has " + abstracts.size() + " (use a table of"
                            + " functions)");
                }
                single = abstracts.getFirst();
            }
            case TABLE, USERDATA -> { }
            default -> throw new IllegalArgumentException("a " + value.typeName() + " cannot implement an"
                    + " interface; a function or a table can");
        }
        ClassLoader loader = type.getClassLoader() != null ? type.getClassLoader() : LuaProxies.class.getClassLoader();
        return type.cast(Proxy.newProxyInstance(loader, new Class<?>[] {type}, handler(value, type, single)));
    }

    private static InvocationHandler handler(LuaValue value, Class<?> type, Method single) {
        return (proxy, method, args) -> {
            Object[] arguments = args == null ? new Object[0] : args;
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == arguments[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "Lua " + type.getSimpleName() + " (" + value + ")";
                };
            }
            Object[] results;
            if (single != null) {
                if (!sameSignature(method, single)) {
                    return defaultOrRefuse(proxy, method, arguments, type);
                }
                results = value.call(arguments);
            } else {
                LuaValue function = value.reference(method.getName());
                if (function == null) {
                    return defaultOrRefuse(proxy, method, arguments, type);
                }
                try {
                    Object[] withSelf = new Object[arguments.length + 1];
                    withSelf[0] = value;
                    System.arraycopy(arguments, 0, withSelf, 1, arguments.length);
                    results = function.call(withSelf);
                } finally {
                    function.close();
                }
            }
            try {
                return LuaToJava.to(method.getReturnType(), results.length > 0 ? results[0] : null);
            } catch (IllegalArgumentException e) {
                throw new LuaException(LuaException.Kind.RUNTIME, "the Lua implementation of "
                        + type.getSimpleName() + "." + method.getName() + " returned " + e.getMessage(), "", null);
            }
        };
    }

    private static Object defaultOrRefuse(Object proxy, Method method, Object[] args, Class<?> type)
            throws Throwable {
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        throw new UnsupportedOperationException("the Lua value implementing " + type.getName() + " has no "
                + method.getName() + " function");
    }

    private static boolean sameSignature(Method a, Method b) {
        return a.getName().equals(b.getName()) && java.util.Arrays.equals(a.getParameterTypes(), b.getParameterTypes());
    }

    /** The abstract methods of an interface, without those that Object's public methods implement. */
    private static List<Method> abstractMethods(Class<?> type) {
        List<Method> found = new ArrayList<>();
        for (Method m : type.getMethods()) {
            if (Modifier.isAbstract(m.getModifiers()) && !isObjectMethod(m)
                    && found.stream().noneMatch(f -> sameSignature(f, m))) {
                found.add(m);
            }
        }
        return found;
    }

    private static boolean isObjectMethod(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
