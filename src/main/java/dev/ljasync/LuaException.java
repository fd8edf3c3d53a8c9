package dev.ljasync;

import java.util.OptionalInt;

/**
 * A Lua error, seen from Java: a syntax error, a runtime error (whatever value was raised), an out-of-memory
 * error, an error in the error handler, an exception thrown by a Java function that Lua code did not catch, or a call
 * of {@code os.exit}.
 *
 * <p>{@link #getMessage()} is the Lua message ({@code "name:3: attempt to call a nil value"}) followed by the Lua
 * traceback; {@link #luaMessage()}, {@link #chunkName()}, {@link #line()} and {@link #traceback()} give the parts.
 * A Java exception raised inside a Java function is the {@linkplain #getCause() cause}.
 */
public final class LuaException extends RuntimeException {

    /** What kind of failure, mapped from LuaJIT's status codes. */
    public enum Kind {
        /** The chunk did not compile ({@code LUA_ERRSYNTAX}). */
        SYNTAX,
        /** Lua code raised an error ({@code LUA_ERRRUN}), including stack overflow from runaway recursion. */
        RUNTIME,
        /** Lua could not allocate memory ({@code LUA_ERRMEM}), for example past a state's memory limit. */
        MEMORY,
        /** The error handler itself failed ({@code LUA_ERRERR}), for example a {@code __tostring} that errors. */
        ERROR_HANDLER,
        /** A Java function called from Lua threw; the exception is the cause. */
        JAVA,
        /**
         * A call to a {@link Callback} did not run: the callback was closing, the call re-entered it on a thread
         * already inside it while no other state was free, or the thread had too little stack left ("stack
         * overflow"). No Lua code ran; the native caller got the fallback.
         */
        REFUSED,
        /**
         * The call was stopped from outside: {@link LuaState#interrupt()}, the state's time limit, its close, or
         * {@link LuaThread#cancel()}.
         */
        CANCELLED,
        /**
         * Lua code called {@code os.exit}, which ends the Lua code but not the process (unless the state was built
         * with {@link LuaState.Builder#processExit(boolean)}); the code is {@link #exitCode()}. {@code pcall},
         * {@code xpcall} and {@code coroutine.resume} in Lua pass it on instead of catching it.
         */
        EXIT
    }

    private static final long serialVersionUID = 1L;

    /** What kind of failure this is; see {@link #kind()}. */
    private final Kind kind;
    /** The message as Lua gave it; see {@link #luaMessage()}. */
    private final String luaMessage;
    /** The chunk the error was raised in, or null; see {@link #chunkName()}. */
    private final String chunkName;
    /** The line the error was raised at, or -1; see {@link #line()}. */
    private final int line;
    /** The Lua traceback, or ""; see {@link #traceback()}. */
    private final String traceback;
    /** The {@code os.exit} code of an {@link Kind#EXIT} error, 0 for the other kinds; see {@link #exitCode()}. */
    private final int exitCode;

    /** An error raised at no position in Lua code. */
    LuaException(Kind kind, String luaMessage, String traceback, Throwable cause) {
        this(kind, luaMessage, null, -1, traceback, cause, 0);
    }

    /**
     * An error raised at {@code line} of {@code chunkName} (as Lua shows it), or at none (null and -1);
     * {@code exitCode} is that of an {@link Kind#EXIT} error, ignored for the other kinds.
     */
    LuaException(Kind kind, String luaMessage, String chunkName, int line, String traceback, Throwable cause,
                 int exitCode) {
        super(traceback.isEmpty() ? luaMessage : luaMessage + "\n" + traceback, cause);
        this.kind = kind;
        this.exitCode = exitCode;
        this.luaMessage = luaMessage;
        this.chunkName = chunkName;
        this.line = line;
        this.traceback = traceback;
    }

    /**
     * What kind of failure this is.
     *
     * @return the kind, never null
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The message as Lua gave it, with the position prefix when there is one ({@code "name:3: boom"}).
     *
     * @return the Lua message, without the traceback
     */
    public String luaMessage() {
        return luaMessage;
    }

    /**
     * The chunk the error was raised in, as Lua shows it ({@code "name"}, {@code [string "..."]}), or null when the
     * message carries no position (an error raised with level 0, or with a value that is not a string). Taken from
     * Lua's debug information (and for a syntax error from the chunk's name), never parsed out of the message.
     *
     * @return the chunk's name, or null
     */
    public String chunkName() {
        return chunkName;
    }

    /**
     * The line the error was raised at, or -1 when the message has no position; see {@link #chunkName()}.
     *
     * @return the line, counted from 1, or -1
     */
    public int line() {
        return line;
    }

    /**
     * The code Lua code gave {@code os.exit} (0 for {@code os.exit()} and {@code os.exit(true)}, 1 for
     * {@code os.exit(false)}) when this is an {@link Kind#EXIT} error; empty for the other kinds.
     *
     * @return the exit code, or empty
     */
    public OptionalInt exitCode() {
        return kind == Kind.EXIT ? OptionalInt.of(exitCode) : OptionalInt.empty();
    }

    /**
     * The Lua traceback ({@code "stack traceback:\n\t..."}), or "" when there is none (syntax, memory errors).
     *
     * @return the traceback, never null
     */
    public String traceback() {
        return traceback;
    }
}
