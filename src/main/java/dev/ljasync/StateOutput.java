package dev.ljasync;

import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.lua.StateLifetime;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * Where the Lua code of one state writes: {@code print}, {@code io.write}, {@code io.stdout} and {@code io.stderr}
 * (output.lua, and streams.lua, which it loads the first time one is used) go to two Java sinks, the state's output
 * and error output, through two Java functions that no Lua code but the library's reaches. A sink is a {@link PrintStream}, which gets the bytes as they are, one
 * {@code write(byte[], int, int)} per print or write (so a line is never split by another thread's), or a
 * {@code Consumer<String>}, which gets whole lines decoded as UTF-8; the last partial line is handed on by a flush
 * and when the state closes. Used by the thread holding the state.
 */
final class StateOutput {

    /**
     * What a {@link LuaState.Builder} chose for one stream: a fixed {@link PrintStream}, a consumer of lines, or
     * neither ({@code System.out} or {@code System.err}, as they are when written to). Immutable and shared by the
     * states opened with that choice; each state writes through its own {@link Writer}.
     */
    record Sink(PrintStream stream, Consumer<String> lines, boolean error) {

        /** System.out, looked up at each write. */
        static final Sink STANDARD_OUTPUT = new Sink(null, null, false);
        /** System.err, looked up at each write. */
        static final Sink STANDARD_ERROR = new Sink(null, null, true);

        static Sink of(PrintStream stream, boolean error) {
            return new Sink(Objects.requireNonNull(stream, "stream"), null, error);
        }

        static Sink of(Consumer<String> lines, boolean error) {
            return new Sink(null, Objects.requireNonNull(lines, "lines"), error);
        }

        /** What Lua's errors call this sink. */
        String describe() {
            String which = error ? "the state's error output" : "the state's output";
            String what = lines != null ? "a Consumer<String>" : stream != null ? "a PrintStream"
                    : error ? "System.err" : "System.out";
            return which + " (" + what + ")";
        }

        Writer open() {
            return lines != null ? new LineWriter(lines) : new StreamWriter(this);
        }

        PrintStream target() {
            return stream != null ? stream : error ? System.err : System.out;
        }
    }

    /** One state's way into a sink. */
    private sealed interface Writer permits StreamWriter, LineWriter {
        void write(byte[] bytes);

        void flush();

        /** After lua_close: hands on what is left. */
        void close();
    }

    /**
     * output.lua's {@code load_streams}: pushes streams.lua (the collector paused while it loads, as for every chunk
     * of the library), or nil and LuaJIT's message. An upcall that never throws; lives as long as the JVM.
     */
    private static final MemorySegment LOAD_STREAMS = cfunction(StateOutput::loadStreams, Arena.global());

    private final Writer out;
    private final Writer err;

    private StateOutput(LuaState.Options options) {
        this.out = options.output().open();
        this.err = options.errorOutput().open();
    }

    private static int loadStreams(MemorySegment L) {
        try {
            boolean paused = gcPause(L);
            int status;
            try {
                status = LibraryChunks.STREAMS.load(L);
            } finally {
                gcResume(L, paused);
            }
            if (status == LUA_OK) {
                return 1;
            }
            lua_pushnil(L);
            lua_insert(L, -2);
            return 2;
        } catch (Throwable t) {
            return 0; // nothing: output.lua says the output could not be set up
        }
    }

    /**
     * Runs output.lua in the new state of {@code calls} with one Java function per stream, made by
     * {@code functions}; the writers are told when {@code lifetime} has closed the state. Runs once, on the thread
     * opening the state.
     */
    static void install(CallPath calls, JavaFunctions functions, StateLifetime lifetime, LuaState.Options options) {
        StateOutput output = new StateOutput(options);
        MemorySegment L = calls.L;
        int status;
        boolean paused = gcPause(L);
        try {
            lua_settop(L, 0);
            calls.pushAll(new Object[0], true);
            status = calls.load(L, LibraryChunks.OUTPUT);
            if (status == LUA_OK) {
                calls.useLibraryEnvironment(L);
                // The state's Java object holds these functions, and they hold `output`, whose consumer may hold
                // that object: so the lifetime, which must not reach it, holds `output` only weakly (below).
                functions.pushPrivate(L, options.output().describe(), args -> output.run(output.out, args));
                functions.pushPrivate(L, options.errorOutput().describe(), args -> output.run(output.err, args));
                lua_pushcfunction(L, LOAD_STREAMS);
            }
        } finally {
            gcResume(L, paused);
        }
        if (status == LUA_OK) {
            status = lua_pcall(L, 3, 0, 1);
        }
        if (status != LUA_OK) {
            throw calls.failure(L, status, "setting up the state's output");
        }
        lua_settop(L, 0);
        WeakReference<StateOutput> weak = new WeakReference<>(output);
        lifetime.afterClose(() -> {
            StateOutput left = weak.get(); // gone when the collector closes the state: its last partial line too
            if (left != null) {
                left.close();
            }
        });
    }

    /** The body of both Java functions: (operation, strings...), as output.lua calls them. */
    private Object run(Writer writer, Object[] args) {
        String operation = (String) args[0];
        if (operation.equals("flush")) {
            writer.flush();
        } else {
            writer.write(join(args, operation.equals("print")));
        }
        return new Object[0];
    }

    /** The strings after the operation, joined as print does (tabs between, a newline after) or as they are. */
    private static byte[] join(Object[] args, boolean print) {
        int count = args.length - 1;
        if (!print && count == 1) {
            return bytes(args[1]);
        }
        byte[][] parts = new byte[count][];
        long size = print ? Math.max(count, 1) : 0;
        for (int i = 0; i < count; i++) {
            parts[i] = bytes(args[i + 1]);
            size += parts[i].length;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("one write of " + size + " bytes is more than Java can hold");
        }
        byte[] joined = new byte[(int) size];
        int at = 0;
        for (int i = 0; i < count; i++) {
            if (print && i > 0) {
                joined[at++] = '\t';
            }
            System.arraycopy(parts[i], 0, joined, at, parts[i].length);
            at += parts[i].length;
        }
        if (print) {
            joined[at] = '\n';
        }
        return joined;
    }

    // A Lua string reaches Java as a String when it is valid UTF-8, whose UTF-8 bytes are the string's own
    private static byte[] bytes(Object value) {
        return value instanceof byte[] b ? b : JavaValues.utf8((String) value);
    }

    private void close() {
        closeQuietly(out);
        closeQuietly(err);
    }

    private static void closeQuietly(Writer writer) {
        try {
            writer.close();
        } catch (Throwable t) {
            // the state is gone, and no Lua code is left to tell: the sink's own failure is the sink's to report
        }
    }

    /** A PrintStream: the bytes as they are. */
    private static final class StreamWriter implements Writer {
        private final Sink sink;
        private boolean written; // since the last flush: a state that wrote nothing flushes nothing on close

        StreamWriter(Sink sink) {
            this.sink = sink;
        }

        @Override
        public void write(byte[] bytes) {
            written = true;
            sink.target().write(bytes, 0, bytes.length);
        }

        @Override
        public void flush() {
            written = false;
            sink.target().flush();
        }

        @Override
        public void close() {
            if (written) {
                flush();
            }
        }
    }

    /**
     * A consumer of lines: each line that ends in {@code '\n'} (or {@code "\r\n"}), without it, decoded as UTF-8
     * with malformed bytes replaced by U+FFFD; bytes after the last line break wait for the next write, a flush or
     * the close.
     */
    private static final class LineWriter implements Writer {
        private final Consumer<String> consumer;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        LineWriter(Consumer<String> consumer) {
            this.consumer = consumer;
        }

        @Override
        public synchronized void write(byte[] bytes) {
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    partial.write(bytes, start, i - start);
                    start = i + 1;
                    handOn(true); // a consumer that throws loses the rest of this write, not the lines before
                }
            }
            partial.write(bytes, start, bytes.length - start);
        }

        @Override
        public synchronized void flush() {
            if (partial.size() > 0) {
                handOn(false);
            }
        }

        @Override
        public void close() {
            flush();
        }

        private void handOn(boolean ended) {
            byte[] line = partial.toByteArray();
            partial.reset();
            boolean crlf = ended && line.length > 0 && line[line.length - 1] == '\r';
            int length = crlf ? line.length - 1 : line.length;
            consumer.accept(new String(line, 0, length, StandardCharsets.UTF_8));
        }
    }
}
