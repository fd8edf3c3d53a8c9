package dev.ljasync.internal.values;

import dev.ljasync.LuaTable;

import java.lang.reflect.Array;
import java.util.List;

/**
 * Java arrays in a state with Java classes: made by {@code java.array}, and indexed from Lua as luajava indexes
 * them, from 1 ({@code arr[1]} is element 0), with {@code #arr} their length; an index outside 1 to the length is
 * an error, as is a value that does not convert to the component type by the one rule. Stateless.
 */
final class JavaArrays {

    private JavaArrays() {}

    /**
     * {@code java.array(type, n, ...)}: a new array of {@code component} with these lengths (several make an array
     * of arrays), or {@code java.array(type, {values})}: one filled with a sequence table's values, converted.
     *
     * @throws IllegalArgumentException for a length that is not a whole number from 0, or a value that does not fit
     */
    static Object create(Class<?> component, Object[] sizes) {
        if (component == void.class) {
            throw new IllegalArgumentException("an array of void cannot be made");
        }
        if (sizes.length == 1 && sizes[0] instanceof LuaTable table) {
            if (!table.isSequence()) {
                throw new IllegalArgumentException("java.array fills an array from a sequence table (keys 1 to n)");
            }
            List<Object> values = table.toList();
            Object array = Array.newInstance(component, values.size());
            for (int i = 0; i < values.size(); i++) {
                store(array, i, values.get(i));
            }
            return array;
        }
        if (sizes.length == 0) {
            throw new IllegalArgumentException("java.array takes a type and a length (or several), or a type and a"
                    + " table of values");
        }
        int[] lengths = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            if (!(sizes[i] instanceof Long n) || n < 0 || n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("an array length is a whole number from 0, not "
                        + LuaToJava.describe(sizes[i]));
            }
            lengths[i] = (int) (long) n;
        }
        return Array.newInstance(component, lengths);
    }

    /** {@code arr[index]}: the element at {@code index - 1}. */
    static Object get(Object array, Object index) {
        return Array.get(array, position(array, index));
    }

    /** {@code arr[index] = value}: converted to the component type. */
    static void set(Object array, Object index, Object value) {
        store(array, position(array, index), value);
    }

    /** {@code #arr}. */
    static int length(Object array) {
        return Array.getLength(array);
    }

    private static void store(Object array, int at, Object value) {
        Class<?> component = array.getClass().getComponentType();
        if (LuaToJava.fit(value, component) < 0) {
            throw new IllegalArgumentException("element " + (at + 1) + " of a " + array.getClass().getTypeName()
                    + " takes " + component.getTypeName() + "; " + LuaToJava.describe(value) + " does not fit");
        }
        Array.set(array, at, LuaToJava.convert(value, component));
    }

    /** The Java index of the Lua index {@code index}. */
    private static int position(Object array, Object index) {
        int length = Array.getLength(array);
        if (!(index instanceof Long i) || i < 1 || i > length) {
            throw new ArrayIndexOutOfBoundsException("index " + describe(index) + " is outside the "
                    + array.getClass().getTypeName().replaceFirst("\\[]", "[" + length + "]")
                    + (length == 0 ? ", which has no elements" : " (1 to " + length + ")"));
        }
        return (int) (i - 1);
    }

    private static String describe(Object index) {
        return index instanceof Long || index instanceof Double ? index.toString() : LuaToJava.describe(index);
    }
}
