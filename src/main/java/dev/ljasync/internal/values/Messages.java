package dev.ljasync.internal.values;

import dev.ljasync.LuaTable;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java side of the one encoding that values cross channels in; ljasync.sync is the Lua side and writes the same
 * bytes. Stateless and thread-safe.
 *
 * <p>A message is one value, in native byte order: a tag byte, then
 * <ul>
 *   <li>nil, false, true ({@code 0}, {@code 1}, {@code 2}): nothing more;</li>
 *   <li>a number ({@code 3}): the 8 bytes of its double;</li>
 *   <li>a string ({@code 4}): its length as a uint32, then its bytes;</li>
 *   <li>a table ({@code 5}): the number of its pairs as a uint32, then each key and its value;</li>
 *   <li>an {@code int64_t} or {@code uint64_t} ({@code 6}, {@code 7}): the 8 bytes of the integer;</li>
 *   <li>a table already in the message ({@code 8}): its number as a uint32, counting tables from 1 in the order
 *       their tag {@code 5} is written;</li>
 *   <li>a pointer ({@code 9}): its address, 8 bytes (a cdata pointer, array or struct in Lua: its address; a
 *       {@code void *} cdata when it arrives in Lua, a zero-length native {@link MemorySegment} in Java).</li>
 * </ul>
 * Tables nest up to {@value #MAX_DEPTH} deep; their keys are strings, numbers and booleans. A table that a value
 * holds in several places (a Lua table referenced twice, a Java Map or List object held twice) is written once and
 * arrives as one table, held in the same places; a table that holds itself is refused. A message is at most
 * {@value #MAX_BYTES} bytes (256 MB).
 *
 * <h2>Java values</h2>
 * Decoding gives null, Boolean, Long (a number with an integral value in long's range) or Double, Long for an
 * {@code int64_t} and for a {@code uint64_t} below 2^63 (a larger one is a BigInteger), String (a string that is
 * valid UTF-8) or byte[], and for a table a {@link LuaTable} in the order the pairs were sent (a sequence is a
 * map from 1L, 2L, ... too, and {@link LuaTable#toList()} gives its values). Encoding takes those and Integer, Short, Byte, Float, BigInteger and {@link List} (the
 * table {1 = first, 2 = second, ...}): a long beyond ±2^53, where doubles stop being exact, becomes an
 * {@code int64_t}; a BigInteger an {@code int64_t} when negative and a {@code uint64_t} otherwise. A null map value
 * or list element is left out, as nil is in a Lua table. Keys that are one key in Lua (1, 1L and 1.0; "A" and the
 * bytes {65}) and Strings with a lone surrogate are refused.
 */
public final class Messages {

    /** The deepest nesting of tables a message may have. */
    public static final int MAX_DEPTH = 100;

    /** The largest message, in bytes (256 MB); ljasync.sync has the same limit. */
    public static final int MAX_BYTES = 1 << 28;

    static final byte NIL = 0, FALSE = 1, TRUE = 2, NUMBER = 3, STRING = 4, TABLE = 5, INT64 = 6, UINT64 = 7,
            REFERENCE = 8, POINTER = 9;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final long EXACT = 1L << 53;

    private Messages() {}

    /**
     * Encodes a value.
     *
     * @throws IllegalArgumentException naming the place in the value (e.g. {@code value.jobs[2]}) of the first
     *                                  part that cannot cross: an unsupported type, a cyclic or too deeply nested
     *                                  table, an unsupported key
     */
    public static byte[] encode(Object value) {
        Writer writer = new Writer();
        writer.value(value, 0);
        return writer.bytes();
    }

    /**
     * Decodes a message made by {@link #encode} or by ljasync.sync.
     *
     * @throws IllegalArgumentException when the bytes are not a message
     */
    public static Object decode(byte[] message) {
        Reader reader = new Reader(message);
        Object value = reader.value(0);
        if (reader.position != message.length) {
            throw new IllegalArgumentException("a message has " + (message.length - reader.position)
                    + " bytes after its value");
        }
        return value;
    }

    /**
     * What a channel holds for a value that Java sends: a number or a boolean as a Long, Double or Boolean, so that a
     * message between two Java threads is neither encoded nor decoded; any other value's bytes ({@link #encode}).
     * {@link #bytes} gives a message's bytes (for Lua), {@link #value} its Java value, both as if the message were
     * the value's bytes (a Double keeps its type until then: a Lua receiver gets a number, not an int64_t).
     *
     * @throws IllegalArgumentException as {@link #encode}
     */
    public static Object message(Object value) {
        return switch (value) {
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d -> d;
            case Float f -> (double) f;
            case Boolean b -> b;
            case null, default -> encode(value);
        };
    }

    /**
     * Whether a message that {@link #message} made is a number that a double holds exactly, so that Lua can take it
     * as the number ({@code ((Number) message).doubleValue()}) rather than as bytes to decode.
     */
    public static boolean isNumber(Object message) {
        return message instanceof Double || message instanceof Long l && l >= -EXACT && l <= EXACT;
    }

    /** The bytes of a message that {@link #message} or {@link #encode} made. */
    public static byte[] bytes(Object message) {
        return message instanceof byte[] bytes ? bytes : encode(message);
    }

    /**
     * The Java value of a message that {@link #message} or {@link #encode} made (or ljasync.sync).
     *
     * @throws IllegalArgumentException when its bytes are not a message
     */
    public static Object value(Object message) {
        return switch (message) {
            case byte[] bytes -> decode(bytes);
            case Double d -> JavaValues.number(d);
            default -> message;
        };
    }

    // ---- encoding --------------------------------------------------------------------------------------------------

    static final class Writer {
        // 9 bytes: a number's message fills it exactly, and is the buffer itself, not a copy
        private byte[] bytes = new byte[9];
        private int size;
        // the tables being written, outer to inner, and the key under which each inner one sits: for cycles and
        // for the place named in errors; made at the first table, so that a scalar's message allocates nothing more
        private List<Object> tables = List.of();
        private List<Object> keys = List.of();
        // every table written so far, by identity, and its number
        private Map<Object, Integer> written = Map.of();

        byte[] bytes() {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }

        private void reserve(int more) {
            if (size + more > bytes.length) {
                if ((long) size + more > MAX_BYTES) {
                    throw refuse("makes the message larger than " + MAX_BYTES + " bytes (256 MB), the most a message"
                            + " may hold");
                }
                long wanted = Math.min(Math.max((long) bytes.length * 2, (long) size + more), MAX_BYTES);
                bytes = Arrays.copyOf(bytes, (int) wanted);
            }
        }

        private void tag(byte tag) {
            reserve(1);
            bytes[size++] = tag;
        }

        private void eight(byte tag, long bits) {
            reserve(9);
            bytes[size] = tag;
            LONG.set(bytes, size + 1, bits);
            size += 9;
        }

        private void number(double d) {
            eight(NUMBER, Double.doubleToRawLongBits(d));
        }

        private void string(byte[] text) {
            reserve(5 + text.length);
            bytes[size] = STRING;
            INT.set(bytes, size + 1, text.length);
            System.arraycopy(text, 0, bytes, size + 5, text.length);
            size += 5 + text.length;
        }

        private byte[] text(String s) {
            try {
                return JavaValues.utf8(s);
            } catch (IllegalArgumentException e) {
                throw refuse("is " + e.getMessage());
            }
        }

        void value(Object value, int depth) {
            switch (value) {
                case null -> tag(NIL);
                case Boolean b -> tag(b ? TRUE : FALSE);
                case Long l -> {
                    if (l >= -EXACT && l <= EXACT) {
                        number(l);
                    } else {
                        eight(INT64, l);
                    }
                }
                case Integer i -> number(i);
                case Short s -> number(s);
                case Byte b -> number(b);
                case Double d -> number(d);
                case Float f -> number(f);
                case BigInteger big -> {
                    if (big.signum() >= 0 && big.bitLength() <= 64) {
                        eight(UINT64, big.longValue());
                    } else if (big.bitLength() <= 63) {
                        eight(INT64, big.longValue());
                    } else {
                        throw refuse("is " + big + ", which fits neither int64_t nor uint64_t");
                    }
                }
                case String s -> string(text(s));
                case byte[] b -> string(b);
                case MemorySegment segment when segment.isNative() -> eight(POINTER, segment.address());
                case Map<?, ?> map -> table(map, map.entrySet(), depth);
                case List<?> list -> table(list, null, depth);
                case Object array when array.getClass().isArray() -> table(array, null, depth);
                default -> throw refuse("is a " + value.getClass().getName() + ", which cannot cross a channel;"
                        + " send null, Boolean, a number, BigInteger, String, byte[], a native MemorySegment (its"
                        + " address), a Map or a List of those"
                        + " (a Channel, Mutex, Semaphore or SharedTable as its handle())");
            }
        }

        private void table(Object table, Iterable<? extends Map.Entry<?, ?>> entries, int depth) {
            for (Object outer : tables) {
                if (outer == table) {
                    throw refuse("is a table that contains itself (a cyclic table cannot be copied)");
                }
            }
            Integer number = written.get(table);
            if (number != null) {
                reserve(5);
                bytes[size] = REFERENCE;
                INT.set(bytes, size + 1, number);
                size += 5;
                return;
            }
            if (depth >= MAX_DEPTH) {
                throw refuse("nests tables more than " + MAX_DEPTH + " deep");
            }
            if (written.isEmpty()) {
                tables = new ArrayList<>();
                keys = new ArrayList<>();
                written = new IdentityHashMap<>();
            }
            written.put(table, written.size() + 1);
            tables.add(table);
            reserve(5);
            bytes[size] = TABLE;
            int countAt = size + 1;
            size += 5;
            int count = 0;
            if (entries != null) {
                Map<Object, Object> luaKeys = new HashMap<>();
                for (Map.Entry<?, ?> entry : entries) {
                    if (entry.getValue() != null) {
                        Object key = entry.getKey();
                        Object other = keyProblem(key) != null ? null : luaKeys.putIfAbsent(luaKey(key), key);
                        if (other != null) {
                            throw refuse("has keys " + describe(other) + " and " + describe(key) + ", which are one key"
                                    + " in Lua (one value would silently replace the other)");
                        }
                        pair(key, entry.getValue(), depth);
                        count++;
                    }
                }
            } else {
                List<?> list = table instanceof List<?> l ? l : arrayList(table);
                long index = 0;
                for (Object element : list) {
                    index++;
                    if (element != null) {
                        pair(index, element, depth);
                        count++;
                    }
                }
            }
            INT.set(bytes, countAt, count);
            tables.removeLast();
        }

        /** The elements of an array of primitives or objects, boxed. */
        private static List<Object> arrayList(Object array) {
            int n = java.lang.reflect.Array.getLength(array);
            List<Object> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(java.lang.reflect.Array.get(array, i));
            }
            return list;
        }

        private void pair(Object key, Object value, int depth) {
            String problem = keyProblem(key);
            if (problem != null) {
                throw refuse(problem);
            }
            keys.add(key);
            value(key, depth + 1); // a scalar: no deeper
            value(value, depth + 1);
            keys.removeLast();
        }

        /**
         * The key as Lua compares it: numbers by their double value (1, 1L and 1.0 are one key, and so are 0 and
         * -0.0), strings by their bytes ("A" and {@code byte[] {65}} are one key).
         */
        static Object luaKey(Object key) {
            return switch (key) {
                case Number n when !(n instanceof BigInteger) -> n.doubleValue() == 0 ? 0.0 : n.doubleValue();
                case String s -> ByteBuffer.wrap(JavaValues.utf8(s)); // a lone surrogate is its own error
                case byte[] b -> ByteBuffer.wrap(b);
                default -> key;
            };
        }

        static String describe(Object key) {
            return switch (key) {
                case String s -> "\"" + s + "\" (String)";
                case byte[] b -> Arrays.toString(b) + " (byte[])";
                default -> key + " (" + key.getClass().getSimpleName() + ")";
            };
        }

        /** Whether a key is one of the scalars that keyProblem judges. */
        static boolean isScalar(Object key) {
            return key instanceof String || key instanceof byte[] || key instanceof Boolean
                    || (key instanceof Number && !(key instanceof BigInteger));
        }

        static String keyProblem(Object key) {
            return switch (key) {
                case null -> "has a null key; Lua tables have no nil keys";
                case String s -> null;
                case byte[] b -> null;
                case Boolean b -> null;
                case Integer i -> null;
                case Short s -> null;
                case Byte b -> null;
                case Double d -> d.isNaN() ? "has a NaN key; Lua tables have no NaN keys" : null;
                case Float f -> f.isNaN() ? "has a NaN key; Lua tables have no NaN keys" : null;
                case Long l -> l < -EXACT || l > EXACT ? "has key " + l + ", beyond \u00b12^53: as a key it would be"
                        + " an int64_t cdata, which Lua tables compare by identity" : null;
                default -> "has a key of class " + key.getClass().getName() + "; table keys are strings, numbers"
                        + " and booleans";
            };
        }

        private IllegalArgumentException refuse(String problem) {
            return new IllegalArgumentException(place(keys) + " " + problem);
        }
    }

    /** Where a part of a value sits, in Lua's notation: {@code value}, {@code value.name}, {@code value[2]}. */
    static String place(List<Object> keys) {
        StringBuilder place = new StringBuilder("value");
        for (Object key : keys) {
            if (key instanceof String s && s.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                place.append('.').append(s);
            } else if (key instanceof String s) {
                place.append("[\"").append(s).append("\"]");
            } else if (key instanceof byte[]) {
                place.append("[(bytes)]");
            } else {
                place.append('[').append(key).append(']');
            }
        }
        return place.toString();
    }

    /**
     * Splits messages written one after the other, each a string, number or boolean (a key of lj-async's keeper).
     *
     * @throws IllegalArgumentException when one is another kind of value, or the bytes end inside one
     */
    public static byte[][] keys(byte[] messages) {
        List<byte[]> keys = new ArrayList<>();
        int at = 0;
        while (at < messages.length) {
            int length = switch (messages[at]) {
                case FALSE, TRUE -> 1;
                case NUMBER, INT64, UINT64 -> 9;
                case STRING -> at + 5 <= messages.length ? 5 + (int) INT.get(messages, at + 1) : -1;
                default -> throw new IllegalArgumentException("a key is a string, number or boolean");
            };
            if (length < 0 || length > messages.length - at) {
                throw new IllegalArgumentException("a key's message is cut short");
            }
            keys.add(Arrays.copyOfRange(messages, at, at + length));
            at += length;
        }
        return keys.toArray(byte[][]::new);
    }

    // ---- decoding --------------------------------------------------------------------------------------------------

    private static final class Reader {
        private final byte[] bytes;
        private int position;
        private CharsetDecoder utf8;
        // the tables read so far, in order, for references; made at the first
        private List<LuaTable> tables = List.of();

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        private void need(int count) {
            if (count < 0 || position + count > bytes.length) {
                throw new IllegalArgumentException("a message ends in the middle of a value");
            }
        }

        private long eight() {
            need(8);
            long bits = (long) LONG.get(bytes, position);
            position += 8;
            return bits;
        }

        private int count() {
            need(4);
            int count = (int) INT.get(bytes, position);
            position += 4;
            return count;
        }

        Object value(int depth) {
            need(1);
            byte tag = bytes[position++];
            return switch (tag) {
                case NIL -> null;
                case FALSE -> false;
                case TRUE -> true;
                case NUMBER -> JavaValues.number(Double.longBitsToDouble(eight()));
                case INT64 -> eight();
                case POINTER -> MemorySegment.ofAddress(eight());
                case UINT64 -> {
                    long bits = eight();
                    yield JavaValues.unsigned(bits);
                }
                case STRING -> {
                    int length = count();
                    need(length);
                    byte[] text = Arrays.copyOfRange(bytes, position, position + length);
                    position += length;
                    if (utf8 == null) {
                        utf8 = JavaValues.utf8Decoder();
                    }
                    yield JavaValues.string(text, utf8);
                }
                case TABLE -> {
                    if (depth >= MAX_DEPTH) {
                        throw new IllegalArgumentException("a message nests tables more than " + MAX_DEPTH + " deep");
                    }
                    int count = count();
                    if (count < 0 || count > bytes.length) {
                        throw new IllegalArgumentException("a message has a table of " + Integer.toUnsignedString(count)
                                + " pairs");
                    }
                    LuaTable table = new LuaTable(count);
                    if (tables.isEmpty()) {
                        tables = new ArrayList<>();
                    }
                    tables.add(table);
                    for (int i = 0; i < count; i++) {
                        Object key = value(depth + 1);
                        table.put(key, value(depth + 1));
                    }
                    yield table;
                }
                case REFERENCE -> {
                    int number = count();
                    if (number < 1 || number > tables.size()) {
                        throw new IllegalArgumentException("a message refers to table "
                                + Integer.toUnsignedString(number) + " of " + tables.size());
                    }
                    yield tables.get(number - 1);
                }
                default -> throw new IllegalArgumentException("a message has an unknown tag " + tag);
            };
        }
    }
}
