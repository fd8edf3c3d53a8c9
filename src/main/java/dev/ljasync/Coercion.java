package dev.ljasync;

import java.util.List;
import java.util.Map;

/**
 * Narrows a Java value of the one rule (what a Lua value converts to: Boolean, Long or Double, String or byte[],
 * LuaTable, LuaValue, ...) to a Java type a method declares: a proxy's result, say. Exact or refused: a number
 * that does not fit, or a value of another kind, is an error naming both, never a silent rounding.
 */
final class Coercion {

    private Coercion() {}

    /**
     * {@code value} as a {@code type}; for a primitive type, its box.
     *
     * @throws IllegalArgumentException when the value has no exact {@code type} form, saying what it is
     */
    static Object to(Class<?> type, Object value) {
        if (type == void.class || type == Void.class) {
            return null;
        }
        if (value == null) {
            if (type.isPrimitive()) {
                throw new IllegalArgumentException("is nil, which has no " + type + " value");
            }
            return null;
        }
        Class<?> boxed = box(type);
        if (boxed.isInstance(value) && !(value instanceof Number && boxed == Number.class)) {
            return value;
        }
        if (value instanceof Number n && Number.class.isAssignableFrom(boxed)) {
            Object exact = number(boxed, n);
            if (exact != null) {
                return exact;
            }
            throw new IllegalArgumentException("is " + n + ", which has no exact " + type.getSimpleName() + " value");
        }
        if (boxed == Character.class && value instanceof String s && s.length() == 1) {
            return s.charAt(0);
        }
        if ((type == String.class || type == CharSequence.class) && value instanceof byte[]) {
            throw new IllegalArgumentException("is a string of bytes that are not UTF-8, not a " + type.getSimpleName());
        }
        if (type == byte[].class && value instanceof String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        if (value instanceof LuaTable table) {
            if (type.isAssignableFrom(List.class)) {
                return table.toList();
            }
            if (type.isAssignableFrom(Map.class)) {
                return table;
            }
        }
        if (value instanceof LuaValue reference && type.isInterface()
                && (reference.type() == LuaValue.Type.FUNCTION || reference.type() == LuaValue.Type.TABLE)) {
            return reference.proxy(type);
        }
        throw new IllegalArgumentException("is " + describe(value) + ", not a " + type.getSimpleName());
    }

    private static Object number(Class<?> boxed, Number n) {
        double d = n.doubleValue();
        boolean integral = n instanceof Long || (d == Math.rint(d) && !Double.isInfinite(d));
        long l = n instanceof Long x ? x : (long) d;
        if (boxed == Double.class || boxed == Number.class) {
            return n instanceof Long x && (double) x != x ? null : d;
        }
        if (boxed == Float.class) {
            return Double.isNaN(d) || (float) d == d || Double.isInfinite(d) ? (Object) (float) d : null;
        }
        if (!integral || (n instanceof Double && (d < -0x1p63 || d >= 0x1p63))) {
            return null;
        }
        if (boxed == Long.class) return l;
        if (boxed == Integer.class) return l == (int) l ? (Object) (int) l : null;
        if (boxed == Short.class) return l == (short) l ? (Object) (short) l : null;
        if (boxed == Byte.class) return l == (byte) l ? (Object) (byte) l : null;
        return null;
    }

    static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) return type;
        if (type == int.class) return Integer.class;
        if (type == long.class) return Long.class;
        if (type == double.class) return Double.class;
        if (type == boolean.class) return Boolean.class;
        if (type == float.class) return Float.class;
        if (type == short.class) return Short.class;
        if (type == byte.class) return Byte.class;
        if (type == char.class) return Character.class;
        return type;
    }

    /** A value as a message shows it: "a string", "a table", "the number 2.5". */
    static String describe(Object value) {
        return switch (value) {
            case null -> "nil";
            case Number n -> "the number " + n;
            case Boolean b -> "the boolean " + b;
            case String s -> "a string";
            case byte[] b -> "a string";
            case LuaTable t -> "a table";
            case LuaValue v -> "a " + v.typeName();
            default -> "a " + value.getClass().getName();
        };
    }
}
