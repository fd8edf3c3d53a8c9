package dev.ljasync;

import dev.ljasync.internal.lua.ErrorPosition;
import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.values.JavaValues;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * Turns a failed status of one state into a {@link LuaException}: the message and traceback state.lua's handler
 * joined at its separator, the positions after them, the code os.exit left, the message the handler had no stack
 * for, and the Java error a Java function reported. Holds that bookkeeping (the last Java error, the chunk loaded
 * last) for its state. Used by the thread holding the state.
 */
final class LuaFailures {

    private static final byte[] SEPARATOR = "\0ljasync.traceback\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] POSITIONS = "\0ljasync.positions\0".getBytes(StandardCharsets.US_ASCII);
    // state.lua's registry key for the message its handler is handling
    private static final String UNHANDLED = "ljasync.unhandled";
    // Tracebacks leave out the frames of the library's own chunks, which are all named "ljasync.*".
    private static final String OWN_FRAME = "\tljasync.";

    private final JavaValues values;
    private final Interruption interruption; // null unless interruptible
    // sandbox.lua's registry slot where os.exit leaves its code (0, no slot, until the sandbox is made)
    private int exitRef;
    // The name of the chunk loaded last, for the position of a syntax error in it
    private String loadedChunkId;
    private Throwable javaError;
    private String javaErrorMessage;

    LuaFailures(JavaValues values, Interruption interruption) {
        this.values = values;
        this.interruption = interruption;
    }

    /** Sets the registry slot where os.exit leaves its code; once, when the sandbox is made. */
    void exitSlot(int ref) {
        exitRef = ref;
    }

    /** Notes the chunk about to be loaded, for the position of a syntax error in it. */
    void loading(String chunkId) {
        loadedChunkId = chunkId;
    }

    /** Notes the failure a Java function reports to Lua as {@code message}: an error that contains it is its. */
    void javaFailed(Throwable error, String message) {
        javaError = error;
        javaErrorMessage = message;
    }

    /** Forgets the Java error of an earlier call: an outermost call begins. */
    void clearJavaError() {
        javaError = null;
        javaErrorMessage = null;
    }

    /** The LuaException for a failed status; the error value is on top of the stack. */
    LuaException failure(MemorySegment L, int status, String during) {
        String message;
        String traceback = "";
        ErrorPosition position = null;
        if (lua_type(L, -1) == LUA_TSTRING) {
            byte[] bytes = values.bytes(L, -1);
            int cut = indexOf(bytes, SEPARATOR);
            if (cut >= 0) {
                byte[] text = Arrays.copyOf(bytes, cut);
                byte[] rest = Arrays.copyOfRange(bytes, cut + SEPARATOR.length, bytes.length);
                int positions = ErrorPosition.indexOf(rest, POSITIONS);
                message = new String(text, StandardCharsets.UTF_8);
                traceback = frames(new String(rest, 0, positions < 0 ? rest.length : positions,
                        StandardCharsets.UTF_8));
                if (positions >= 0) {
                    position = ErrorPosition.ofStack(text,
                            Arrays.copyOfRange(rest, positions + POSITIONS.length, rest.length));
                }
            } else {
                message = new String(bytes, StandardCharsets.UTF_8);
                if (status == LUA_ERRSYNTAX && loadedChunkId != null) {
                    position = ErrorPosition.ofSyntax(bytes, loadedChunkId);
                }
            }
        } else {
            message = "(error object is a " + JavaValues.typeName(lua_type(L, -1)) + " value)";
        }
        lua_pop(L, 1);
        if (during != null) {
            message = message + " (while " + during + ")";
        }
        Integer exitCode = takeExitCode(L);
        Unhandled unhandled = status == LUA_ERRERR ? takeUnhandled(L) : null;
        LuaException.Kind kind;
        Throwable cause = null;
        if (exitCode != null && status == LUA_ERRRUN) {
            kind = LuaException.Kind.EXIT;
        } else if (status == LUA_ERRSYNTAX) {
            kind = LuaException.Kind.SYNTAX;
        } else if (status == LUA_ERRMEM) {
            kind = LuaException.Kind.MEMORY;
        } else if (unhandled != null && !unhandled.entered()) {
            // LuaJIT could not even enter the handler: only a Lua stack with no room left does that (OpenResty's
            // luajit2 grants a handler fewer slots at an overflow than LuaJIT does)
            kind = LuaException.Kind.RUNTIME;
            message = "stack overflow (no message or traceback: the Lua stack had no room left for the message"
                    + " handler)";
            traceback = "";
        } else if (unhandled != null && unhandled.message() != null) {
            // the handler had the message but no Lua stack left for the traceback
            kind = LuaException.Kind.RUNTIME;
            message = unhandled.message() + " (no traceback: the message handler found the Lua stack full)";
            traceback = "";
        } else if (status == LUA_ERRERR) {
            kind = LuaException.Kind.ERROR_HANDLER;
        } else if (interruption != null && interruption.isRaised()) {
            kind = LuaException.Kind.CANCELLED;
        } else if (javaError != null && message.contains(javaErrorMessage)) {
            kind = LuaException.Kind.JAVA;
            cause = javaError;
        } else {
            kind = LuaException.Kind.RUNTIME;
        }
        if (position == null && cause instanceof LuaException relayed && relayed.line() > 0
                && message.startsWith(relayed.luaMessage())) {
            // a Lua error that came back through a Java function: raised in frames that are gone now
            position = new ErrorPosition(relayed.chunkName(), relayed.line());
        }
        return new LuaException(kind, message, position == null ? null : position.chunk(),
                position == null ? -1 : position.line(), traceback, cause, exitCode == null ? 0 : exitCode);
    }

    /**
     * What state.lua's message handler was handling when it failed: whether it was entered at all (its slot in the
     * registry still holding false says it was not), and the error as text (null when it was no text).
     */
    private record Unhandled(boolean entered, String message) {}

    /** The handler's {@link Unhandled} error, cleared. */
    private Unhandled takeUnhandled(MemorySegment L) {
        boolean paused = gcPause(L); // the key is a string LuaJIT may have to intern
        try {
            lua_getfield(L, LUA_REGISTRYINDEX, UNHANDLED);
            int type = lua_type(L, -1);
            Unhandled unhandled = new Unhandled(type != LUA_TBOOLEAN, type == LUA_TSTRING || type == LUA_TNUMBER
                    ? new String(values.bytes(L, -1), StandardCharsets.UTF_8) : null);
            lua_pop(L, 1);
            if (type != LUA_TBOOLEAN) {
                lua_pushboolean(L, false); // and let go of an error object that was no string
                lua_setfield(L, LUA_REGISTRYINDEX, UNHANDLED);
            }
            return unhandled;
        } finally {
            gcResume(L, paused);
        }
    }

    /** The code that os.exit left in its registry slot (sandbox.lua), cleared; null when it was not called. */
    private Integer takeExitCode(MemorySegment L) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, exitRef);
        boolean exited = lua_type(L, -1) == LUA_TNUMBER;
        int code = (int) lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (!exited) {
            return null;
        }
        lua_pushboolean(L, false);
        lua_rawseti(L, LUA_REGISTRYINDEX, exitRef); // the key exists: nothing is allocated
        return code;
    }

    /** The traceback without its leading newline and without the frames of the library's own Lua code. */
    private static String frames(String traceback) {
        return traceback.lines()
                .filter(line -> !line.isEmpty() && !line.startsWith(OWN_FRAME))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
