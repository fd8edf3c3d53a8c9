package dev.ljasync.internal.values;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The public methods and constructors of one class, as Lua code calls them: found once per class, bound to method
 * handles through {@link MethodHandles#publicLookup()} once per name (through a public supertype that declares the
 * method, for a class that is not itself public), and called with an overload chosen by the rule documented on
 * {@code LuaState} ("Java objects"). Thread-safe.
 */
final class JavaMembers {

    private static final ClassValue<JavaMembers> CACHE = new ClassValue<>() {
        @Override
        protected JavaMembers computeValue(Class<?> type) {
            return new JavaMembers(type);
        }
    };
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.publicLookup();
    private static final Object[] NO_RESULTS = {};

    private final Class<?> type;
    private final Map<String, List<Method>> instance = new TreeMap<>();
    private final Map<String, List<Executable>> statics = new TreeMap<>();
    private final ConcurrentHashMap<String, Overloads> bound = new ConcurrentHashMap<>();

    private JavaMembers(Class<?> type) {
        this.type = type;
        Map<String, Method> bySignature = new LinkedHashMap<>();
        for (Method m : type.getMethods()) {
            String signature = m.getName() + Arrays.toString(m.getParameterTypes())
                    + Modifier.isStatic(m.getModifiers());
            Method seen = bySignature.get(signature);
            if (seen == null || seen.getReturnType().isAssignableFrom(m.getReturnType())) {
                // the most specific return type of a method inherited twice (a bridge is one; it may be the only
                // public declaration, as StringBuilder's of AbstractStringBuilder's methods)
                bySignature.put(signature, m);
            }
        }
        for (Method m : bySignature.values()) {
            if (Modifier.isStatic(m.getModifiers())) {
                statics.computeIfAbsent(m.getName(), k -> new ArrayList<>()).add(m);
            } else {
                instance.computeIfAbsent(m.getName(), k -> new ArrayList<>()).add(m);
            }
        }
        if (!Modifier.isAbstract(type.getModifiers()) && type.getConstructors().length > 0) {
            statics.put("new", List.of(type.getConstructors()));
        }
    }

    /**
     * The public static final fields of the class that no static method's name hides, with their values: constants,
     * read once per class through a getter handle ({@code Integer.MAX_VALUE}).
     */
    Map<String, Object> constants() {
        Map<String, Object> constants = new TreeMap<>();
        if (!Modifier.isPublic(type.getModifiers())) {
            return constants;
        }
        for (java.lang.reflect.Field f : type.getFields()) {
            int modifiers = f.getModifiers();
            if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && !statics.containsKey(f.getName())) {
                try {
                    constants.put(f.getName(), LOOKUP.unreflectGetter(f).invoke());
                } catch (Throwable unreachable) {
                    // a field of a type not exported to everyone: left out, as its methods are
                }
            }
        }
        return constants;
    }

    /** The members of {@code type}, made once per class. */
    static JavaMembers of(Class<?> type) {
        return CACHE.get(type);
    }

    /** The names of the instance methods, or of the static ones and "new" for the constructors. */
    Set<String> names(boolean ofStatics) {
        return ofStatics ? statics.keySet() : instance.keySet();
    }

    /**
     * The overloads of one name, bound the first time they are asked for (by any state); the instance ones take the
     * receiver first.
     *
     * @throws IllegalArgumentException when none of them can be reached through a public type
     */
    Overloads overloads(String name, boolean ofStatic) {
        return bound.computeIfAbsent(ofStatic ? "static " + name : name, key -> bind(name, ofStatic));
    }

    private Overloads bind(String name, boolean ofStatic) {
        List<? extends Executable> found = ofStatic ? statics.get(name) : instance.get(name);
        if (found == null) {
            throw new IllegalArgumentException("no method '" + name + "' on " + type.getName());
        }
        List<Overload> reachable = new ArrayList<>();
        for (Executable e : found) {
            MethodHandle handle = handle(e);
            if (handle != null) {
                reachable.add(new Overload(e, handle, !ofStatic));
            }
        }
        if (reachable.isEmpty()) {
            throw new IllegalArgumentException(type.getName() + "." + name + " cannot be reached through a public type"
                    + " of an exported package");
        }
        // a fixed order, for ties: by parameter count, then by the names of the parameter types
        reachable.sort(Comparator.comparingInt((Overload o) -> o.parameters.length).thenComparing(o -> o.signature));
        return new Overloads(type.getName() + "." + name, reachable.toArray(Overload[]::new));
    }

    private MethodHandle handle(Executable e) {
        try {
            if (e instanceof Constructor<?> c) {
                return LOOKUP.findConstructor(type, MethodType.methodType(void.class, c.getParameterTypes()));
            }
            Method m = (Method) e;
            if (Modifier.isStatic(m.getModifiers())) {
                return LOOKUP.findStatic(type, m.getName(), MethodType.methodType(m.getReturnType(),
                        m.getParameterTypes()));
            }
        } catch (NoSuchMethodException | IllegalAccessException unreachable) {
            return null;
        }
        Method m = (Method) e;
        for (Class<?> owner : supertypes(type)) {
            try {
                Method declared = owner.getMethod(m.getName(), m.getParameterTypes());
                // the receiver stays typed as `type`: an object of the exposed class, never a cast to another
                return LOOKUP.findVirtual(owner, m.getName(), MethodType.methodType(declared.getReturnType(),
                        m.getParameterTypes())).asType(MethodType.methodType(declared.getReturnType(), type)
                        .appendParameterTypes(m.getParameterTypes()));
            } catch (NoSuchMethodException | IllegalAccessException notThere) {
                // try the next public supertype
            }
        }
        return null;
    }

    /** {@code type}, then its superclasses and interfaces, breadth first. */
    private static Set<Class<?>> supertypes(Class<?> type) {
        Set<Class<?>> seen = new LinkedHashSet<>();
        ArrayDeque<Class<?>> queue = new ArrayDeque<>(List.of(type));
        while (!queue.isEmpty()) {
            Class<?> c = queue.poll();
            if (seen.add(c)) {
                if (c.getSuperclass() != null) {
                    queue.add(c.getSuperclass());
                }
                queue.addAll(Arrays.asList(c.getInterfaces()));
            }
        }
        return seen;
    }

    /** One method or constructor: its handle spread to take its arguments (receiver first) as one array. */
    private static final class Overload {
        final Class<?>[] parameters;
        final String signature;
        final MethodHandle spread;
        final boolean isVoid;
        final int first; // 1 when args[0] is the receiver
        final boolean varargs;

        Overload(Executable e, MethodHandle handle, boolean hasReceiver) {
            this.parameters = e.getParameterTypes();
            this.varargs = e.isVarArgs();
            StringJoiner s = new StringJoiner(", ", (e instanceof Constructor ? "new" : e.getName()) + "(", ")");
            for (Class<?> p : parameters) {
                s.add(p.getTypeName());
            }
            this.signature = s.toString();
            this.isVoid = handle.type().returnType() == void.class;
            int count = handle.type().parameterCount();
            // fixed arity: a varargs handle would collect the array it is given into another one
            this.spread = handle.asFixedArity().asType(MethodType.genericMethodType(count)).asSpreader(Object[].class, count);
            this.first = hasReceiver ? 1 : 0;
        }

        /**
         * How closely {@code args} fit: 0 is exact, higher is looser; -1 when one does not convert. A varargs method
         * also takes its trailing arguments one by one (as Java source passes them), a little looser than an array.
         */
        int fit(Object[] args) {
            int direct = args.length == parameters.length + first ? fit(args, parameters.length) : -1;
            if (direct >= 0 || !varargs || args.length < parameters.length - 1 + first) {
                return direct;
            }
            int fixed = fit(args, parameters.length - 1);
            if (fixed < 0) {
                return -1;
            }
            Class<?> component = parameters[parameters.length - 1].getComponentType();
            int total = fixed + 1;
            for (int i = parameters.length - 1 + first; i < args.length; i++) {
                int cost = LuaToJava.fit(args[i], component);
                if (cost < 0) {
                    return -1;
                }
                total += cost;
            }
            return total;
        }

        private int fit(Object[] args, int count) {
            int total = 0;
            for (int i = 0; i < count; i++) {
                int cost = LuaToJava.fit(args[i + first], parameters[i]);
                if (cost < 0) {
                    return -1;
                }
                total += cost;
            }
            return total;
        }

        Object call(Object[] args) throws Throwable {
            if (varargs && (args.length != parameters.length + first || fit(args, parameters.length) < 0)) {
                args = packed(args);
            }
            for (int i = 0; i < parameters.length; i++) {
                args[i + first] = LuaToJava.convert(args[i + first], parameters[i]);
            }
            Object result = (Object) spread.invokeExact(args);
            return isVoid ? NO_RESULTS : new Object[] {result};
        }

        /** The arguments with the trailing ones gathered into the varargs array. */
        private Object[] packed(Object[] args) {
            int fixed = parameters.length - 1 + first;
            Class<?> component = parameters[parameters.length - 1].getComponentType();
            Object array = java.lang.reflect.Array.newInstance(component, args.length - fixed);
            for (int i = fixed; i < args.length; i++) {
                java.lang.reflect.Array.set(array, i - fixed, LuaToJava.convert(args[i], component));
            }
            Object[] all = Arrays.copyOf(args, fixed + 1);
            all[fixed] = array;
            return all;
        }
    }

    /** The overloads of one name, bound. */
    static final class Overloads {
        private final String name;
        private final Overload[] overloads;

        private Overloads(String name, Overload[] overloads) {
            this.name = name;
            this.overloads = overloads;
        }

        /**
         * Calls the overload that {@code args} (already converted from Lua, receiver first for an instance method)
         * fit best, with its arguments converted in place; returns its result as a Java function's results.
         *
         * @throws IllegalArgumentException when no overload takes these arguments, naming them and the overloads
         */
        Object call(Object[] args) throws Throwable {
            Overload best = null;
            int bestFit = Integer.MAX_VALUE;
            for (Overload o : overloads) {
                int fit = o.fit(args);
                if (fit >= 0 && fit < bestFit) {
                    best = o;
                    bestFit = fit;
                }
            }
            if (best == null) {
                throw new IllegalArgumentException(mismatch(args));
            }
            return best.call(args);
        }

        /**
         * The overload whose parameter types are exactly {@code parameters}, alone ({@code java.method}).
         *
         * @throws IllegalArgumentException when there is none, naming the overloads there are
         */
        Overloads only(Class<?>[] parameters) {
            for (Overload o : overloads) {
                if (Arrays.equals(o.parameters, parameters)) {
                    return new Overloads(name, new Overload[] {o});
                }
            }
            StringJoiner wanted = new StringJoiner(", ", "(", ")");
            for (Class<?> p : parameters) {
                wanted.add(p.getTypeName());
            }
            throw new IllegalArgumentException("no overload of " + name + " has the parameters " + wanted + "; it has "
                    + known());
        }

        private String known() {
            StringJoiner known = new StringJoiner(", ");
            for (Overload o : overloads) {
                known.add(o.signature);
            }
            return known.toString();
        }

        private String mismatch(Object[] args) {
            int first = overloads[0].first;
            StringJoiner given = new StringJoiner(", ", "(", ")");
            for (int i = first; i < args.length; i++) {
                given.add(LuaToJava.describe(args[i]));
            }
            return "no overload of " + name + " takes " + given + "; it has " + known();
        }
    }
}
