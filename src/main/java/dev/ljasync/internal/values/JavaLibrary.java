package dev.ljasync.internal.values;

import dev.ljasync.LuaValue;

import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import java.util.Map;

/**
 * The Java functions behind the global {@code java} of a state with Java classes (objects.lua's {@code library} calls
 * them): {@code import}, {@code proxy}, {@code array}, {@code method} (with {@code invoke}, which runs what it
 * bound) and {@code luaify}. Used only by the thread holding the state.
 */
final class JavaLibrary {

    private static final Map<String, Class<?>> PRIMITIVES = Map.of("boolean", boolean.class, "byte", byte.class,
            "char", char.class, "short", short.class, "int", int.class, "long", long.class, "float", float.class,
            "double", double.class, "void", void.class);

    /** An overload that {@code java.method} chose, with the object it is called on (null for a static one). */
    private record Bound(JavaMembers.Overloads overload, Object receiver) {}

    private final JavaValues values;

    JavaLibrary(JavaValues values) {
        this.values = values;
    }

    /**
     * {@code java.import(name)}: the public class of that name, for its static members; also given a class (an
     * imported one, or a {@code java.lang.Class}), as {@code java.new} does.
     */
    static Class<?> importClass(Object[] args) {
        if (args.length == 1 && args[0] instanceof Class<?> c) {
            return accessible(c);
        }
        if (args.length != 1 || !(args[0] instanceof String name)) {
            throw new IllegalArgumentException("java.import takes a class name, like \"java.util.ArrayList\", or a"
                    + " package's, like \"java.util.*\"");
        }
        return classNamed(name);
    }

    /** {@code java.new(class, ...)}'s class: an imported one or a {@code java.lang.Class}, for its constructors. */
    static Class<?> constructed(Object[] args) {
        if (args.length < 1 || !(args[0] instanceof Class<?> c)) {
            throw new IllegalArgumentException("java.new takes an imported class or a java.lang.Class, then the"
                    + " constructor's arguments; not " + LuaToJava.describe(args.length < 1 ? null : args[0]));
        }
        return accessible(c);
    }

    /**
     * {@code java.proxy(boxed, implementation, interface...)}: the function, or the table (boxed: objects.lua's
     * userdata that indexes to it at [1], so that the table comes as a reference and not as a copy).
     */
    Object proxy(Object[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("java.proxy takes one or more interfaces (names or imported classes)"
                    + " and then a table or a function implementing them");
        }
        Class<?>[] interfaces = new Class<?>[args.length - 2];
        for (int i = 2; i < args.length; i++) {
            interfaces[i - 2] = type(args[i], "java.proxy");
        }
        Object implementation = args[1];
        if (Boolean.TRUE.equals(args[0]) && implementation instanceof LuaValue box) {
            try (box) {
                implementation = box.reference(1L);
            }
        }
        return values.bridge.proxy(implementation, interfaces);
    }

    /** {@code java.array(type, n, ...)} or {@code java.array(type, {values})}: a new array, kept a Java object. */
    static Object array(Object[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("java.array takes a type and a length, or a type and a table");
        }
        // kept even as a byte[], which the one rule would make a string
        return new JavaObjects.Kept(JavaArrays.create(type(args[0], "java.array"),
                Arrays.copyOfRange(args, 1, args.length)));
    }

    /**
     * {@code java.method(target, name, "type,type")}: the one overload of {@code name} with exactly these parameter
     * types (none for an empty or missing list); a class's static ones (and its constructors as "new"), or an
     * object's instance ones.
     */
    static Object method(Object[] args) {
        if (args.length < 2 || args[0] == null || !(args[1] instanceof String name)
                || (args.length > 2 && args[2] != null && !(args[2] instanceof String))) {
            throw new IllegalArgumentException("java.method takes an imported class or an object, a method name"
                    + " (\"new\" for a constructor) and its parameter types, like \"int,java.lang.String\"");
        }
        String signature = args.length > 2 && args[2] != null ? ((String) args[2]).trim() : "";
        String[] names = signature.isEmpty() ? new String[0] : signature.split(",");
        Class<?>[] parameters = new Class<?>[names.length];
        for (int i = 0; i < names.length; i++) {
            parameters[i] = type(names[i].trim(), "java.method");
        }
        boolean ofStatic = args[0] instanceof Class<?>;
        Class<?> type = ofStatic ? (Class<?>) args[0] : args[0].getClass();
        JavaMembers.Overloads one = JavaMembers.of(type).overloads(name, ofStatic).only(parameters);
        return JavaObjects.exposed(new Bound(one, ofStatic ? null : args[0]), null);
    }

    /** What {@code java.method}'s function runs: its overload, with its object first for an instance method. */
    static Object invoke(Object[] args) throws Exception {
        if (args.length < 1 || !(args[0] instanceof Bound bound)) {
            throw new IllegalArgumentException("java.invoke runs what java.method gives");
        }
        Object[] call;
        if (bound.receiver() == null) {
            call = Arrays.copyOfRange(args, 1, args.length);
        } else {
            call = args.clone();
            call[0] = bound.receiver();
        }
        return MemberCalls.keep(bound.overload(), call);
    }

    /** {@code java.luaify(value)}: the value by the one rule, so a Map, List or array becomes a table. */
    static Object luaify(Object[] args) {
        return args.length > 0 ? args[0] : null;
    }

    /**
     * A type as Lua code names it: a primitive's name, a public class's binary name, either with {@code []}s for an
     * array type, or an imported class.
     */
    static Class<?> type(Object type, String what) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (!(type instanceof String name) || name.isBlank()) {
            throw new IllegalArgumentException(what + " takes types as names (\"int\", \"java.lang.String\") or"
                    + " imported classes, not " + LuaToJava.describe(type));
        }
        int dimensions = 0;
        while (name.endsWith("[]")) {
            name = name.substring(0, name.length() - 2).trim();
            dimensions++;
        }
        Class<?> c = PRIMITIVES.containsKey(name) ? PRIMITIVES.get(name) : classNamed(name);
        return dimensions == 0 ? c : java.lang.reflect.Array.newInstance(c, new int[dimensions]).getClass();
    }

    /** The public class {@code name} of an exported package. */
    private static Class<?> classNamed(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Class<?> type;
        try {
            type = Class.forName(name, false, loader != null ? loader : ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("no class " + name + " (give its binary name, like"
                    + " \"java.util.Map$Entry\")");
        }
        return accessible(type);
    }

    /** {@code type}, when public in a package its module exports to everyone. */
    private static Class<?> accessible(Class<?> type) {
        try {
            MethodHandles.publicLookup().accessClass(type);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException(type.getName() + " is not public in a package its module exports");
        }
        return type;
    }
}
