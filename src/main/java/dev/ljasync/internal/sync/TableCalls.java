package dev.ljasync.internal.sync;

import dev.ljasync.internal.values.MessageScalars;
import dev.ljasync.internal.values.Messages;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.ljasync.internal.sync.Shared.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * The shared-table operations of {@link SyncUpcalls}, as ljasync.sync calls them. {@code buffer} holds the request
 * in its first {@code out[0]} bytes (messages one after another: a key, then the operation's values; nothing for a
 * snapshot, nor {@code out} for a clear) and gets the reply over it: a value (get) or pairs (snapshot). A reply
 * larger than the buffer is {@code -TOO_SMALL}, with its size in {@code out[0]}, for the caller to grow the buffer
 * and ask again (both are reads). Increment writes the new number to {@code out[1]}.
 */
final class TableCalls {

    private TableCalls() {}

    static double call(int op, long handle, MemorySegment buffer, MemorySegment out) {
        if (op == SyncUpcalls.NEW_TABLE) {
            return SharedMap.create().handle();
        }
        if (!(Shared.find(handle) instanceof SharedMap table)) {
            return -NO_OBJECT;
        }
        if (op == SyncUpcalls.TABLE_CLEAR) {
            table.clear();
            return OK;
        }
        out = out.reinterpret(16);
        long length = (long) out.getAtIndex(JAVA_DOUBLE, 0);
        if (length < 0 || length > buffer.byteSize()) {
            throw new IllegalArgumentException("a request of " + length + " bytes in a buffer of " + buffer.byteSize());
        }
        byte[] request = buffer.asSlice(0, length).toArray(JAVA_BYTE);
        int keyEnd = op == SyncUpcalls.TABLE_SNAPSHOT ? 0 : MessageScalars.length(request, 0, request.length);
        String key = keyEnd == 0 ? null : SharedMap.key(Arrays.copyOf(request, keyEnd));
        return switch (op) {
            case SyncUpcalls.TABLE_GET -> {
                byte[] value = table.get(key);
                yield reply(value == null ? Messages.encode(null) : value, buffer, out);
            }
            case SyncUpcalls.TABLE_SET -> {
                table.put(key, Arrays.copyOfRange(request, keyEnd, request.length));
                yield OK;
            }
            case SyncUpcalls.TABLE_CAS -> {
                int oldEnd = keyEnd + MessageScalars.length(request, keyEnd, request.length);
                yield table.compareAndSet(key, Arrays.copyOfRange(request, keyEnd, oldEnd),
                        Arrays.copyOfRange(request, oldEnd, request.length)) ? 1 : 0;
            }
            case SyncUpcalls.TABLE_INCREMENT -> {
                byte[] by = Arrays.copyOfRange(request, keyEnd, request.length);
                if (!MessageScalars.isNumber(by)) {
                    throw new IllegalArgumentException("an increment is a number, not " + MessageScalars.kind(by));
                }
                out.setAtIndex(JAVA_DOUBLE, 1, table.add(key, MessageScalars.number(by), false));
                yield OK;
            }
            case SyncUpcalls.TABLE_SNAPSHOT -> reply(pairs(table), buffer, out);
            default -> throw new IllegalArgumentException("ljasync.sync asked for unknown operation " + op);
        };
    }

    /** The pairs of a snapshot, each key's message followed by its value's. */
    private static byte[] pairs(SharedMap table) {
        List<Map.Entry<String, byte[]>> pairs = table.snapshot();
        long size = 0;
        for (Map.Entry<String, byte[]> pair : pairs) {
            size += pair.getKey().length() + pair.getValue().length;
        }
        if (size > Messages.MAX_BYTES) {
            throw new IllegalArgumentException("a snapshot of " + table + " would be larger than " + Messages.MAX_BYTES
                    + " bytes (256 MB), the most a message may hold; get its keys one by one");
        }
        byte[] bytes = new byte[(int) size];
        int at = 0;
        for (Map.Entry<String, byte[]> pair : pairs) {
            byte[] key = SharedMap.message(pair.getKey());
            System.arraycopy(key, 0, bytes, at, key.length);
            at += key.length;
            System.arraycopy(pair.getValue(), 0, bytes, at, pair.getValue().length);
            at += pair.getValue().length;
        }
        return bytes;
    }

    private static double reply(byte[] reply, MemorySegment buffer, MemorySegment out) {
        if (reply.length > buffer.byteSize()) {
            out.setAtIndex(JAVA_DOUBLE, 0, reply.length);
            return -TOO_SMALL;
        }
        MemorySegment.copy(reply, 0, buffer, JAVA_BYTE, 0, reply.length);
        return reply.length;
    }
}
