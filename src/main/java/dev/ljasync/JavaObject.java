package dev.ljasync;

import dev.ljasync.internal.values.JavaObjects;

import java.lang.invoke.MethodHandles;
import java.util.Objects;

/**
 * A Java object to pass into Lua as itself: a full userdata that comes back to Java as the same object, whatever its
 * type (a {@code Map} passed this way stays a Java object rather than becoming a table). Exposed with a chosen class
 * or interface, its public methods of that type are callable from Lua as {@code obj:name(args)}; see "Java objects"
 * in {@link LuaState} for how arguments and overloads are chosen. Immutable and thread-safe.
 *
 * <pre>{@code
 * List<String> names = new ArrayList<>();
 * lua.run("local names = ... ; names:add('lua'); return names:size()", "chunk",
 *         JavaObject.of(names, List.class));   // {1L}; names is now [lua]
 * }</pre>
 */
public final class JavaObject {

    private final Object object;
    private final Class<?> exposed; // null: no methods

    private JavaObject(Object object, Class<?> exposed) {
        this.object = object;
        this.exposed = exposed;
    }

    /**
     * An object that Lua code can hold, compare and hand back, but not look into: it has no methods in Lua, and
     * {@code tostring} shows only its class and identity hash.
     *
     * @param object the object
     * @return the object, to pass as a value
     * @throws NullPointerException when {@code object} is null (pass null itself for nil)
     */
    public static JavaObject of(Object object) {
        return new JavaObject(Objects.requireNonNull(object, "object"), null);
    }

    /**
     * An object whose public methods of {@code exposed} (declared or inherited) Lua code can call, and nothing else:
     * {@code tostring} shows its {@code toString()}. The methods are bound once per class through
     * {@link MethodHandles#publicLookup()}, so {@code exposed} must be a public type of a package its module exports.
     *
     * @param object  the object
     * @param exposed the class or interface whose methods Lua code may call
     * @param <T>     the object's type
     * @return the object, to pass as a value
     * @throws NullPointerException     when either is null
     * @throws IllegalArgumentException when {@code object} is not an instance of {@code exposed}, or
     *                                  {@code exposed} is not public in an exported package
     */
    public static <T> JavaObject of(T object, Class<? super T> exposed) {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(exposed, "exposed");
        if (!exposed.isInstance(object)) {
            throw new IllegalArgumentException("a " + object.getClass().getName() + " is not a " + exposed.getName()
                    + "; expose it with a class or interface it implements");
        }
        try {
            MethodHandles.publicLookup().accessClass(exposed);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException(exposed.getName() + " is not public in a package its module exports,"
                    + " so Lua cannot call its methods; expose the object with a public interface it implements", e);
        }
        return new JavaObject(object, exposed);
    }

    /**
     * The object itself.
     *
     * @return the object
     */
    public Object object() {
        return object;
    }

    /**
     * The type whose methods Lua code may call.
     *
     * @return the exposed class or interface, or null for an object without methods ({@link #of(Object)})
     */
    public Class<?> exposed() {
        return exposed;
    }

    /** What stands in for this object when it is pushed (see {@code JavaValues}). */
    Object luaValue() {
        return JavaObjects.exposed(object, exposed);
    }

    @Override
    public String toString() {
        return "JavaObject[" + object.getClass().getName()
                + (exposed == null ? ", no methods]" : ", exposed as " + exposed.getName() + "]");
    }
}
