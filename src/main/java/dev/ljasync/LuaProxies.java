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
        return type.cast(proxy(value, new Class<?>[] {type}));
    }

    /**
     * A Java object implementing every one of {@code interfaces} with {@code value} (Lua's {@code java.proxy}); a
     * function implements the one abstract method they have together.
     */
    static Object proxy(LuaValue value, Class<?>[] interfaces) {
        for (Class<?> type : interfaces) {
            if (!type.isInterface()) {
                throw new IllegalArgumentException(type.getName() + " is not an interface; a Lua value can implement"
                        + " interfaces only");
            }
        }
        String named = interfaces.length == 1 ? interfaces[0].getName() : java.util.Arrays.stream(interfaces)
                .map(Class::getName).collect(java.util.stream.Collectors.joining(", "));
        Method single = null;
        switch (value.type()) {
            case FUNCTION -> {
                List<Method> abstracts = abstractMethods(interfaces);
                if (abstracts.size() != 1) {
                    throw new IllegalArgumentException("a Lua function implements an interface of one abstract"
                            + " method; " + named + " " + (interfaces.length == 1 ? "has " : "have ")
                            + abstracts.size() + " (use a table of functions)");
                }
                single = abstracts.getFirst();
            }
            case TABLE, USERDATA -> { }
            default -> throw new IllegalArgumentException("a " + value.typeName() + " cannot implement an"
                    + " interface; a function or a table can");
        }
        ClassLoader loader = LuaProxies.class.getClassLoader();
        for (Class<?> type : interfaces) {
            if (type.getClassLoader() != null) {
                loader = type.getClassLoader();
                break;
            }
        }
        return Proxy.newProxyInstance(loader, interfaces.clone(), handler(value, interfaces, single));
    }

    private static InvocationHandler handler(LuaValue value, Class<?>[] interfaces, Method single) {
        return (proxy, method, args) -> {
            // what messages name: the one interface, or the one declaring the method among several
            Class<?> type = interfaces.length == 1 ? interfaces[0] : method.getDeclaringClass();
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

    /** The abstract methods of interfaces, one of each signature, without those Object's public methods implement. */
    private static List<Method> abstractMethods(Class<?>[] interfaces) {
        List<Method> found = new ArrayList<>();
        for (Class<?> type : interfaces) {
            for (Method m : type.getMethods()) {
                if (Modifier.isAbstract(m.getModifiers()) && !isObjectMethod(m)
                        && found.stream().noneMatch(f -> sameSignature(f, m))) {
                    found.add(m);
                }
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
