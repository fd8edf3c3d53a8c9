package dev.ljasync.internal.values;

/**
 * The Java functions behind the members of exposed classes, as {@link JavaObjects} gives them to their metatables:
 * methods (by name, with their overloads), fields (a getter and a setter each) and an array's elements. In a state
 * with Java classes, a Map, List or array they give stays a Java object, as Lua code there works with Java's own
 * objects. Stateless but for a method's overloads, bound on its first call.
 */
final class MemberCalls {

    private static final Object[] NO_RESULTS = {};

    private MemberCalls() {}

    /** The Java function behind the method {@code name} of {@code members}. */
    static JavaObjects.Function method(JavaMembers members, String name, boolean statics, boolean keepObjects) {
        return new MethodCall(members, name, statics, keepObjects);
    }

    /** A field's getter: its value in the object (or class) it is given. */
    static JavaObjects.Function getter(JavaFields.Bound field) {
        return args -> unchecked(() -> kept(field.get(args[0])));
    }

    /** A field's setter: (object or class, value). */
    static JavaObjects.Function setter(JavaFields.Bound field) {
        return args -> unchecked(() -> {
            field.set(args[0], args[1]);
            return NO_RESULTS;
        });
    }

    /** {@code arr[i]}: (array, index). */
    static Object element(Object[] args) {
        return kept(JavaArrays.get(args[0], args[1]));
    }

    /** {@code arr[i] = v}: (array, index, value). */
    static Object store(Object[] args) {
        JavaArrays.set(args[0], args[1], args[2]);
        return NO_RESULTS;
    }

    /** {@code #arr}. */
    static Object length(Object[] args) {
        return (long) JavaArrays.length(args[0]);
    }

    /** In a state with Java classes, a Map, List or array (but a byte[], a string) stays a Java object. */
    static Object kept(Object value) {
        boolean kept = value instanceof java.util.Map<?, ?> || value instanceof java.util.List<?>
                || (value != null && value.getClass().isArray() && !(value instanceof byte[]));
        return kept ? new JavaObjects.Kept(value) : value;
    }

    /** Calls {@code overloads} with {@code args}, a Map, List or array it returns kept a Java object. */
    static Object keep(JavaMembers.Overloads overloads, Object[] args) throws Exception {
        return unchecked(() -> {
            Object results = overloads.call(args);
            return results instanceof Object[] one && one.length == 1 ? new Object[] {kept(one[0])} : results;
        });
    }

    /** A call through a method handle, which may throw anything. */
    private interface HandleCall {
        Object call() throws Throwable;
    }

    /** What {@code call} gives, with what it throws as a Java function's failure (an exception). */
    static Object unchecked(HandleCall call) throws Exception {
        try {
            return call.call();
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The Java function behind one method name of one exposed class: its overloads, bound on the first call. Its
     * result converts by the one rule (a List a method returns becomes a table), except in a state with Java
     * classes, where Lua code works with Java's own objects, as in luajava: there a Map, List or array it returns
     * stays a Java object, with its methods.
     */
    private static final class MethodCall implements JavaObjects.Function {
        private final JavaMembers members;
        private final String name;
        private final boolean statics;
        private final boolean keepObjects;
        private JavaMembers.Overloads bound;

        MethodCall(JavaMembers members, String name, boolean statics, boolean keepObjects) {
            this.members = members;
            this.name = name;
            this.statics = statics;
            this.keepObjects = keepObjects;
        }

        @Override
        public Object call(Object[] args) throws Exception {
            if (bound == null) {
                bound = members.overloads(name, statics);
            }
            return keepObjects ? keep(bound, args) : unchecked(() -> bound.call(args));
        }
    }
}
