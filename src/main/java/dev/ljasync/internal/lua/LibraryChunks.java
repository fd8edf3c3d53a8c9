package dev.ljasync.internal.lua;

import dev.ljasync.internal.sync.SyncUpcalls;


import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The library's own Lua code, shipped as resources under {@code dev/ljasync/lua/} and compiled once per JVM by the
 * loaded LuaJIT into native memory: states load the bytecode from there, several times faster than parsing the
 * source again, with nothing to copy first. Also the one {@code lua_dump} of the library.
 */
public final class LibraryChunks {

    // first: the chunks below are compiled while this class initializes
    private static final MemorySegment WRITER = writer(LibraryChunks::write, Arena.global());
    private static final ThreadLocal<ByteArrayOutputStream> SINK = new ThreadLocal<>();
    private static final MemorySegment BINARY = Arena.global().allocateFrom("b");

    /** Run in every state before any user code. */
    public static final Chunk STATE = chunk("state.lua", "ljasync.state");
    /** Run in every state after {@link #STATE}: the sandbox its builder chose. */
    public static final Chunk SANDBOX = chunk("sandbox.lua", "ljasync.sandbox");
    /** Run in every callback state. */
    public static final Chunk CALLBACK = chunk("callback.lua", "ljasync.callback");
    /** Run first in every interruptible state; see {@link Interruption}. */
    public static final Chunk INTERRUPT = chunk("interrupt.lua", "ljasync.interrupt");
    /** Loaded the first time a state converts a value that needs Lua code; see {@code LuaValues}. */
    public static final Chunk VALUES = chunk("values.lua", "ljasync.values");
    /** Wraps the function of every LuaThread. */
    public static final Chunk THREAD = chunk("thread.lua", "ljasync.thread");
    /** Puts the searchers of Java modules into {@code package.loaders}, in a state whose builder gave some. */
    public static final Chunk JAVA_MODULES = chunk("java_modules.lua", "ljasync.java_modules");
    /** Makes, in a new state, a function copied from another by ljasync.copy; see {@code PinnedEntry}. */
    public static final Chunk COPIED = chunk("copied.lua", "ljasync.copied");
    /** The Lua side of Java objects, run in a state the first time it needs them; see {@code JavaObjects}. */
    public static final Chunk OBJECTS = chunk("objects.lua", "ljasync.objects");
    /** Makes the Lua function of a typed Java function; see {@code TypedJavaFunctions}. */
    public static final Chunk TYPED_JAVA = chunk("typed_java.lua", "ljasync.typed_java");
    /** Run in every state after {@link #SANDBOX}: print and io's standard files write to Java sinks. */
    public static final Chunk OUTPUT = chunk("output.lua", "ljasync.output");
    /** What print and io's standard files run, loaded by {@link #OUTPUT}'s functions the first time one is used. */
    public static final Chunk STREAMS = chunk("streams.lua", "ljasync.streams");

    /**
     * One of the library's chunks, compiled: its bytecode and its name ("=ljasync.state") in native memory for the
     * JVM's lifetime, so that a state loads it straight from there, with nothing to allocate or copy first.
     */
    public record Chunk(String name, MemorySegment bytecode, MemorySegment nameString) {
        /** Loads the chunk ({@code luaL_loadbufferx}, binary mode) as a function on top of the stack. */
        public int load(MemorySegment L) {
            return luaL_loadbufferx(L, bytecode, bytecode.byteSize(), nameString, BINARY);
        }
    }

    /**
     * A module of the library: its loader is called with the module's name, its context (a light userdata, or nil
     * when {@code context} is null) and the state's number ({@code LuaState}'s id). A visible one is in
     * {@code package.preload} for user code; the others only the library's own code can require.
     */
    public record Module(String name, MemorySegment bytecode, MemorySegment context, boolean visible) {}

    /**
     * The library's modules: resources {@code modules/<name>.lua}. Their bytecode stays in native memory for the
     * JVM's lifetime, so a state's loader copies it only when required.
     */
    public static final List<Module> MODULES = modules();

    private LibraryChunks() {}

    private static List<Module> modules() {
        MemorySegment sync = SyncUpcalls.ENTRY;
        return List.of(module("ljasync.sync", sync, true), module("ljasync.copy", null, false),
                module("ljasync.ctype", null, false), module("lj-async.callback", sync, true),
                module("lj-async.thread", sync, true), module("lj-async.mutex", null, true),
                module("lj-async.keeper", null, true));
    }

    private static Module module(String name, MemorySegment context, boolean visible) {
        return new Module(name, chunk("modules/" + name + ".lua", name).bytecode(), context, visible);
    }

    private static Chunk chunk(String resource, String chunkName) {
        String name = "=" + chunkName;
        return new Chunk(name, Arena.global().allocateFrom(JAVA_BYTE, compile(resource, chunkName)),
                Arena.global().allocateFrom(name));
    }

    private static byte[] compile(String resource, String chunkName) {
        byte[] source = resource(resource);
        MemorySegment L = luaL_newstate();
        if (L.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("LuaJIT could not create a state: out of memory");
        }
        try (Arena scratch = Arena.ofConfined()) {
            int status = luaL_loadbufferx(L, scratch.allocateFrom(JAVA_BYTE, source), source.length,
                    scratch.allocateFrom("=" + chunkName), scratch.allocateFrom("t"));
            if (status != LUA_OK) {
                throw new IllegalStateException("the library's " + resource + " does not compile: "
                        + lua_tostring(L, -1));
            }
            return dump(L);
        } finally {
            lua_close(L);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = LibraryChunks.class.getResourceAsStream("/dev/ljasync/lua/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/ljasync/lua/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytecode of the function on top of the stack ({@code lua_dump}, as {@code string.dump}). */
    public static byte[] dump(MemorySegment L) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SINK.set(out);
        try {
            int status = lua_dump(L, WRITER, MemorySegment.NULL);
            if (status != 0) {
                throw new IllegalStateException("lua_dump failed with status " + status);
            }
            return out.toByteArray();
        } finally {
            SINK.remove();
        }
    }

    // The lua_Writer upcall: never throws; a non-zero result stops the dump.
    private static int write(MemorySegment L, MemorySegment data, long size, MemorySegment userdata) {
        try {
            SINK.get().write(data.reinterpret(size).toArray(JAVA_BYTE));
            return 0;
        } catch (Throwable t) {
            return 1;
        }
    }
}
