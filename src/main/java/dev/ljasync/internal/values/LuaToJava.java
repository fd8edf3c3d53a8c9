package dev.ljasync.internal.values;

import dev.ljasync.LuaTable;
import dev.ljasync.LuaValue;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.util.List;

/**
 * Which Java types a value from Lua converts to, and how closely: the rule that chooses among the overloads of a
 * Java method called from Lua, and that narrows what a Lua function returns to a Java interface method's return type
 * (a proxy's). Values arrive as {@link JavaValues#toJava} gives them (null, Boolean, Long, Double, String or byte[],
 * MemorySegment, LuaTable, LuaValue, or a Java object); a number converts to a numeric type only when its value fits
 * exactly. Lower costs win: a whole number fits long best, then int, short, byte, double, float; a sequence table
 * fits a List or an array whose elements all fit; a Lua function or table fits an interface as a proxy; any value
 * fits a reference type it is an instance of (Object, Number, Map) last.
 */
public final class LuaToJava {

    private static final int LOOSE = 6; // an instance of a supertype, or null for a reference
    private static final int SHAPED = 5; // a table as a List or array, a function or table as an interface

    private LuaToJava() {}

    /** How closely {@code value} fits a parameter of type {@code type}: 0 exactly, higher looser, -1 not at all. */
    public static int fit(Object value, Class<?> type) {
        if (value == null) {
            return type.isPrimitive() ? -1 : LOOSE;
        }
        Class<?> t = type.isPrimitive() ? boxed(type) : type;
        if (value instanceof Long l) {
            if (t == Long.class) return 0;
            if (t == Integer.class) return l == (int) (long) l ? 1 : -1;
            if (t == Short.class) return l == (short) (long) l ? 2 : -1;
            if (t == Byte.class) return l == (byte) (long) l ? 3 : -1;
            if (t == Double.class) return (long) (double) (long) l == l && l != Long.MAX_VALUE ? 4 : -1;
            if (t == Float.class) return (double) (float) (long) l == (double) (long) l ? 5 : -1;
        } else if (value instanceof Double d) {
            if (t == Double.class) return 0;
            if (t == Float.class) return (float) (double) d == d || d.isNaN() ? 1 : -1;
        } else if (value instanceof String s) {
            if (t == String.class) return 0;
            if (t == CharSequence.class) return 1;
            if (t == byte[].class) return 2;
            if (t == Character.class) return s.length() == 1 ? 1 : -1;
        }
        if (t.isInstance(value)) {
            return value.getClass() == t ? 0 : LOOSE;
        }
        if (value instanceof LuaTable table && table.isSequence()) {
            if (t.isAssignableFrom(List.class)) return SHAPED;
            if (t.isArray()) {
                for (Object element : table.values()) {
                    if (fit(element, t.getComponentType()) < 0) return -1;
                }
                return SHAPED;
            }
        }
        if (value instanceof LuaValue reference && t.isInterface()
                && (reference.type() == LuaValue.Type.FUNCTION || reference.type() == LuaValue.Type.TABLE)) {
            return SHAPED;
        }
        return -1;
    }

    /** {@code value} as a parameter of type {@code type}, for which {@link #fit} did not refuse it. */
    public static Object convert(Object value, Class<?> type) {
        Class<?> t = type.isPrimitive() ? boxed(type) : type;
        if (value != null && !t.isInstance(value)) {
            if (value instanceof LuaTable table && t.isArray()) {
                List<Object> elements = table.toList();
                Object array = Array.newInstance(t.getComponentType(), elements.size());
                for (int i = 0; i < elements.size(); i++) {
                    Array.set(array, i, convert(elements.get(i), t.getComponentType()));
                }
                return array;
            }
            if (value instanceof LuaTable table) return table.toList();
            if (value instanceof LuaValue reference) return reference.proxy(t);
        }
        if (value instanceof Long l) {
            if (t == Integer.class) return (int) (long) l;
            if (t == Short.class) return (short) (long) l;
            if (t == Byte.class) return (byte) (long) l;
            if (t == Double.class) return (double) l;
            if (t == Float.class) return (float) l;
        } else if (value instanceof Double d) {
            if (t == Float.class) return (float) (double) d;
        } else if (value instanceof String s) {
            if (t == byte[].class) return JavaValues.utf8(s);
            if (t == Character.class) return s.charAt(0);
        }
        return value;
    }

    /**
     * {@code value} as a {@code type} (the box of a primitive one; void takes anything and gives null).
     *
     * @throws IllegalArgumentException when it does not fit, saying what it is
     */
    public static Object to(Class<?> type, Object value) {
        if (type == void.class || type == Void.class) {
            return null;
        }
        if (fit(value, type) < 0) {
            throw new IllegalArgumentException(describe(value) + " where " + type.getSimpleName() + " is expected");
        }
        return convert(value, type);
    }

    /** A value as a mismatch message names it. */
    public static String describe(Object value) {
        return switch (value) {
            case null -> "nil";
            case Boolean b -> "boolean";
            case Long l -> "number " + l;
            case Double d -> "number " + d;
            case String s -> "string";
            case byte[] bytes -> "string (not UTF-8)";
            case MemorySegment segment -> "light userdata";
            case LuaTable table -> "table";
            case LuaValue reference -> reference.type().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            default -> value.getClass().getName();
        };
    }

    private static Class<?> boxed(Class<?> primitive) {
        if (primitive == int.class) return Integer.class;
        if (primitive == long.class) return Long.class;
        if (primitive == double.class) return Double.class;
        if (primitive == boolean.class) return Boolean.class;
        if (primitive == float.class) return Float.class;
        if (primitive == short.class) return Short.class;
        if (primitive == byte.class) return Byte.class;
        if (primitive == char.class) return Character.class;
        return Void.class;
    }
}
