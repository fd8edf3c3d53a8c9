package dev.ljasync.internal.lua;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where a Lua error was raised, found from Lua's own debug information rather than read out of the message (a chunk
 * may be named {@code "x:99: y"}, or hold a newline): the message starts with {@code "chunk:line: "} exactly when
 * {@code error} added the position of a function on the stack, so the position is the one whose text the message
 * starts with.
 *
 * @param chunk the chunk as Lua shows it ({@code short_src}: {@code "name"}, {@code [string "..."]})
 * @param line  the line, 1 or more
 */
public record ErrorPosition(String chunk, int line) {

    /** LuaJIT's LUA_IDSIZE: the size of a short_src, its NUL included. */
    private static final int ID_SIZE = 60;

    /**
     * The position, among the stack's (as state.lua's message handler lists them: chunk, NUL, line, NUL, innermost
     * first), that the message starts with; null when it starts with none.
     */
    public static ErrorPosition ofStack(byte[] message, byte[] positions) {
        int at = 0;
        while (at < positions.length) {
            int chunkEnd = indexOf(positions, (byte) 0, at);
            int lineEnd = chunkEnd < 0 ? -1 : indexOf(positions, (byte) 0, chunkEnd + 1);
            if (lineEnd < 0) {
                return null;
            }
            byte[] chunk = Arrays.copyOfRange(positions, at, chunkEnd);
            String line = new String(positions, chunkEnd + 1, lineEnd - chunkEnd - 1, StandardCharsets.US_ASCII);
            if (startsWith(message, chunk, line)) {
                return new ErrorPosition(new String(chunk, StandardCharsets.UTF_8), Integer.parseInt(line));
            }
            at = lineEnd + 1;
        }
        return null;
    }

    /**
     * The position of a syntax error in the chunk loaded with this name ({@code "=name"}, {@code "@file"} or the
     * source itself, as given to {@code lua_load}): the lexer starts its message with {@code "short_src:line: "}.
     */
    public static ErrorPosition ofSyntax(byte[] message, String chunkId) {
        byte[] chunk = shortSource(chunkId);
        int digits = chunk.length + 1;
        while (digits < message.length && message[digits] >= '0' && message[digits] <= '9') {
            digits++;
        }
        if (digits == chunk.length + 1 || digits > chunk.length + 10) {
            return null;
        }
        String line = new String(message, chunk.length + 1, digits - chunk.length - 1, StandardCharsets.US_ASCII);
        return startsWith(message, chunk, line)
                ? new ErrorPosition(new String(chunk, StandardCharsets.UTF_8), Integer.parseInt(line)) : null;
    }

    /** LuaJIT's lj_debug_shortname: how a chunk name shows in messages, in bytes (it may cut a character). */
    static byte[] shortSource(String chunkId) {
        byte[] id = chunkId.getBytes(StandardCharsets.UTF_8);
        if (id.length > 0 && id[0] == '=') {
            return Arrays.copyOfRange(id, 1, Math.min(id.length, ID_SIZE));
        }
        if (id.length > 0 && id[0] == '@') {
            int length = id.length - 1;
            return length >= ID_SIZE
                    ? concat("...".getBytes(StandardCharsets.US_ASCII),
                            Arrays.copyOfRange(id, id.length - (ID_SIZE - 4), id.length))
                    : Arrays.copyOfRange(id, 1, id.length);
        }
        int length = 0;
        while (length < ID_SIZE - 12 && length < id.length && (id[length] & 0xff) >= ' ') {
            length++;
        }
        byte[] open = "[string \"".getBytes(StandardCharsets.US_ASCII);
        return length < id.length
                ? concat(open, Arrays.copyOf(id, Math.min(length, ID_SIZE - 15)),
                        "...\"]".getBytes(StandardCharsets.US_ASCII))
                : concat(open, id, "\"]".getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] concat(byte[]... parts) {
        int size = 0;
        for (byte[] part : parts) {
            size += part.length;
        }
        byte[] all = new byte[size];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static boolean startsWith(byte[] message, byte[] chunk, String line) {
        byte[] prefix = new byte[chunk.length + line.length() + 3];
        System.arraycopy(chunk, 0, prefix, 0, chunk.length);
        int at = chunk.length;
        prefix[at++] = ':';
        for (int i = 0; i < line.length(); i++) {
            prefix[at++] = (byte) line.charAt(i);
        }
        prefix[at++] = ':';
        prefix[at] = ' ';
        return message.length >= prefix.length && Arrays.equals(message, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Where {@code needle} first occurs in {@code bytes}, or -1. */
    public static int indexOf(byte[] bytes, byte[] needle) {
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
