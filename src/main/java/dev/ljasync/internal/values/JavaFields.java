package dev.ljasync.internal.values;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The public fields of one class that Lua code reads and writes in a state with Java classes ({@code obj.x},
 * {@code cls.counter = 5}): its instance fields, and its static ones; a static final field is a constant, read once
 * ({@link JavaMembers#constants}), which is here only to refuse a write by name. A field whose name a method of the
 * same kind (instance or static) also has is left out: the method wins, so {@code obj.name} gives what it always gave.
 * Each field's getter and setter are bound once, through {@link MethodHandles#publicLookup()} from the class itself
 * (findGetter, findSetter); a field that lookup cannot reach is left out, as such methods are. Thread-safe.
 */
final class JavaFields {

    private static final ClassValue<JavaFields> CACHE = new ClassValue<>() {
        @Override
        protected JavaFields computeValue(Class<?> type) {
            return new JavaFields(type);
        }
    };
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.publicLookup();
    private static final MethodType GETTER = MethodType.methodType(Object.class, Object.class);
    private static final MethodType SETTER = MethodType.methodType(void.class, Object.class, Object.class);

    private final Map<String, Bound> instance = new TreeMap<>();
    private final Map<String, Bound> statics = new TreeMap<>();

    private JavaFields(Class<?> type) {
        if (!Modifier.isPublic(type.getModifiers())) {
            return;
        }
        JavaMembers members = JavaMembers.of(type);
        for (Field f : type.getFields()) {
            boolean isStatic = Modifier.isStatic(f.getModifiers());
            if (members.names(isStatic).contains(f.getName())) {
                continue;
            }
            Bound bound = bind(type, f);
            if (bound != null) {
                (isStatic ? statics : instance).putIfAbsent(f.getName(), bound);
            }
        }
    }

    /** The fields of {@code type}, found and bound once per class. */
    static JavaFields of(Class<?> type) {
        return CACHE.get(type);
    }

    /**
     * The fields Lua code reaches on an object ({@code ofStatics} false) or on the class: name, and whether it is
     * read live (true) or is a constant that only a write reaches (false: it refuses one).
     */
    Map<String, Boolean> names(boolean ofStatics) {
        Map<String, Boolean> names = new TreeMap<>();
        (ofStatics ? statics : instance).forEach((name, b) -> names.put(name, !(b.isStatic && b.setter == null)));
        return Collections.unmodifiableMap(names);
    }

    /** The field {@code name}, of an object or of the class. */
    Bound field(String name, boolean ofStatics) {
        return (ofStatics ? statics : instance).get(name);
    }

    /** Whether the class has a field that is read live (an instance one, or a static one that is not final). */
    boolean hasLive(boolean ofStatics) {
        return names(ofStatics).containsValue(true);
    }

    private static Bound bind(Class<?> type, Field f) {
        try {
            boolean isStatic = Modifier.isStatic(f.getModifiers());
            boolean isFinal = Modifier.isFinal(f.getModifiers());
            // found through `type`, which is public, even for a field a non-public superclass declares
            MethodHandle getter = isStatic ? LOOKUP.findStaticGetter(type, f.getName(), f.getType())
                    : LOOKUP.findGetter(type, f.getName(), f.getType());
            MethodHandle setter = isFinal ? null : isStatic ? LOOKUP.findStaticSetter(type, f.getName(), f.getType())
                    : LOOKUP.findSetter(type, f.getName(), f.getType());
            if (isStatic) { // the class the Lua side passes as the target is dropped
                getter = MethodHandles.dropArguments(getter, 0, Object.class);
                setter = setter == null ? null : MethodHandles.dropArguments(setter, 0, Object.class);
            }
            return new Bound(type.getName() + "." + f.getName(), f.getType(), isStatic, getter.asType(GETTER),
                    setter == null ? null : setter.asType(SETTER));
        } catch (NoSuchFieldException | IllegalAccessException notExported) {
            return null;
        }
    }

    /** One field: its getter and setter (null when final) take the object, or the class for a static one. */
    static final class Bound {
        private final String name;
        private final Class<?> type;
        private final boolean isStatic;
        private final MethodHandle getter;
        private final MethodHandle setter;

        private Bound(String name, Class<?> type, boolean isStatic, MethodHandle getter, MethodHandle setter) {
            this.name = name;
            this.type = type;
            this.isStatic = isStatic;
            this.getter = getter;
            this.setter = setter;
        }

        /** The field's value in {@code target}. */
        Object get(Object target) throws Throwable {
            return (Object) getter.invokeExact(target);
        }

        /**
         * Sets the field in {@code target} to {@code value} (as it came from Lua), converted by the one rule.
         *
         * @throws IllegalArgumentException when the field is final or the value does not fit its type
         */
        void set(Object target, Object value) throws Throwable {
            if (setter == null) {
                throw new IllegalArgumentException("field " + name + " is final");
            }
            if (LuaToJava.fit(value, type) < 0) {
                throw new IllegalArgumentException("field " + name + " is of type " + type.getTypeName() + ": "
                        + LuaToJava.describe(value) + " does not fit it");
            }
            setter.invokeExact(target, LuaToJava.convert(value, type));
        }
    }
}
