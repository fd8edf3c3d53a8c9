package dev.ljasync.internal.lua;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A lua_Alloc over libc's realloc and free that refuses to grow a state past a limit, so that Lua code that
 * allocates without end gets a {@code LUA_ERRMEM} error instead of exhausting the process.
 *
 * <p>The limit is enforced only while Lua code runs ({@link #enforce(boolean)}): the library's own allocations,
 * made outside a protected call (pushing arguments, results of a Java function), always succeed, because an
 * allocation error there would reach LuaJIT's panic handler. Each allocation is an upcall, so a limited state
 * allocates a few times slower than one with LuaJIT's own allocator.
 */
public final class MemoryLimit {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle REALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("realloc").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ADDRESS), Linker.Option.critical(false));

    private final long limit;
    private final MemorySegment function;
    private long used;
    private boolean enforcing;
    private long headroom;

    /** An allocator whose upcall stub lives as long as {@code arena}. */
    public MemoryLimit(long limitBytes, Arena arena) {
        this.limit = limitBytes;
        this.function = LuaNative.allocator(this::allocate, arena);
    }

    /** The lua_Alloc function pointer. */
    public MemorySegment function() {
        return function;
    }

    /** Bytes currently allocated through this allocator. */
    public long used() {
        return used;
    }

    /** Turns enforcement on or off and returns what it was, for the caller to restore. */
    public boolean enforce(boolean on) {
        boolean was = enforcing;
        enforcing = on;
        return was;
    }

    /**
     * Lets allocations go past the limit by an eighth of it (at least 1 MB), or stops that: for the collections
     * that free what failed code left, whose __gc finalizers need memory to run.
     */
    public void headroom(boolean on) {
        headroom = on ? Math.max(limit / 8, 1 << 20) : 0;
    }

    // An upcall: it must never throw (an exception escaping an upcall ends the JVM); failure is a NULL result.
    private MemorySegment allocate(MemorySegment userdata, MemorySegment block, long oldSize, long newSize) {
        try {
            long held = block.equals(MemorySegment.NULL) ? 0 : oldSize;
            if (newSize == 0) {
                FREE.invokeExact(block);
                used -= held;
                return MemorySegment.NULL;
            }
            if (enforcing && newSize > held && used + (newSize - held) > limit + headroom) {
                return MemorySegment.NULL;
            }
            MemorySegment moved = (MemorySegment) REALLOC.invokeExact(block, newSize);
            if (!moved.equals(MemorySegment.NULL)) {
                used += newSize - held;
            }
            return moved;
        } catch (Throwable t) {
            return MemorySegment.NULL;
        }
    }
}
