package dev.ljasync.internal.values;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import static dev.ljasync.internal.values.Messages.*;

/**
 * What a shared table needs to know of the encoding of {@link Messages}: where a scalar message ends, which
 * messages are keys, when two scalars are equal, and the message of a number. Stateless and thread-safe.
 */
public final class MessageScalars {

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final byte[] NIL_MESSAGE = {NIL};

    private MessageScalars() {}

    /**
     * The length of the scalar message at {@code bytes[offset, limit)}: nil, a boolean, a number, a string or a
     * 64-bit integer.
     *
     * @throws IllegalArgumentException when it is a table or another value, or is cut short
     */
    public static int length(byte[] bytes, int offset, int limit) {
        if (offset >= limit) {
            throw new IllegalArgumentException("a request ends before its value");
        }
        int length = switch (bytes[offset]) {
            case NIL, FALSE, TRUE -> 1;
            case NUMBER, INT64, UINT64 -> 9;
            case STRING -> limit - offset < 5 ? -1 : 5 + (int) INT.get(bytes, offset + 1);
            default -> throw new IllegalArgumentException("a shared table compares and keys only nil, booleans,"
                    + " numbers, strings and 64-bit integers, not a table or another value");
        };
        if (length < 0 || length > limit - offset) {
            throw new IllegalArgumentException("a request ends in the middle of a value");
        }
        return length;
    }

    /**
     * The message of a key as a table holds it: a string, a boolean or a number, with -0 as 0 (one key in Lua).
     *
     * @param message a whole message
     * @return the message, or a copy with the number 0
     * @throws IllegalArgumentException when the value is not a key
     */
    public static byte[] key(byte[] message) {
        byte tag = message.length == 0 ? NIL : message[0];
        if (tag == NUMBER && message.length == 9) {
            double d = number(message);
            if (Double.isNaN(d)) {
                throw new IllegalArgumentException("NaN is not a key (Lua tables have no NaN keys)");
            }
            return d == 0 && Double.doubleToRawLongBits(d) != 0 ? number(0) : message;
        }
        if ((tag == STRING || tag == TRUE || tag == FALSE) && length(message, 0, message.length) == message.length) {
            return message;
        }
        throw new IllegalArgumentException("a shared table's key is a string, a boolean or a number (within \u00b12^53"
                + " from Java), not " + (tag == NIL ? "nil" : tag == TABLE || tag == REFERENCE ? "a table"
                : tag == INT64 || tag == UINT64 ? "a 64-bit integer" : "a value of tag " + tag));
    }

    /**
     * The message of a Java key, as {@link #key(byte[])} gives it: a String (as UTF-8), a byte[], a Boolean, or a
     * number other than a BigInteger (a Long within ±2^53). Made directly, without {@link Messages#encode}'s tables
     * of what it wrote: a key is on the path of every operation of a shared table.
     *
     * @throws IllegalArgumentException when the value is not a key
     */
    public static byte[] key(Object key) {
        String problem = Messages.Writer.keyProblem(key);
        if (problem != null) {
            throw new IllegalArgumentException("a shared table " + problem);
        }
        return switch (key) {
            case String s -> string(JavaValues.utf8(s));
            case byte[] b -> string(b);
            case Boolean b -> new byte[] {b ? TRUE : FALSE};
            case Number n -> number(n.doubleValue() == 0 ? 0 : n.doubleValue());
            default -> throw new IllegalArgumentException("a shared table has a key of class "
                    + key.getClass().getName());
        };
    }

    private static byte[] string(byte[] text) {
        byte[] message = new byte[5 + text.length];
        message[0] = STRING;
        INT.set(message, 1, text.length);
        System.arraycopy(text, 0, message, 5, text.length);
        return message;
    }

    /**
     * Whether a stored message equals an expected scalar as Lua's {@code rawequal} sees values: numbers by value (0
     * and -0 equal, NaN equal to nothing), the rest by their bytes (a 64-bit integer by type and value).
     *
     * @param stored   the message held, or null for none (nil)
     * @param expected a scalar message
     */
    public static boolean same(byte[] stored, byte[] expected) {
        byte[] held = stored == null ? NIL_MESSAGE : stored;
        if (held[0] == NUMBER && expected[0] == NUMBER) {
            return number(held) == number(expected);
        }
        return Arrays.equals(held, expected);
    }

    /** Whether a message is nil: what a table does not hold. */
    public static boolean isNil(byte[] message) {
        return message[0] == NIL;
    }

    /** Whether a message is a number. */
    public static boolean isNumber(byte[] message) {
        return message[0] == NUMBER && message.length == 9;
    }

    /** The number of a number message. */
    public static double number(byte[] message) {
        return Double.longBitsToDouble((long) LONG.get(message, 1));
    }

    /** The message of a number. */
    public static byte[] number(double d) {
        byte[] message = new byte[9];
        message[0] = NUMBER;
        LONG.set(message, 1, Double.doubleToRawLongBits(d));
        return message;
    }

    /** A short description of what a message holds, for errors: "a string", "a table", ... */
    public static String kind(byte[] message) {
        return switch (message[0]) {
            case NIL -> "nil";
            case FALSE, TRUE -> "a boolean";
            case NUMBER -> "a number";
            case STRING -> "a string";
            case TABLE -> "a table";
            case INT64 -> "an int64_t";
            case UINT64 -> "a uint64_t";
            default -> "a value of tag " + message[0];
        };
    }
}
