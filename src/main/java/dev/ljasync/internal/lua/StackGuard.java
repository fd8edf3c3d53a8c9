package dev.ljasync.internal.lua;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.*;

/**
 * The stack of the thread that is running: where it ends and how much of it is left, read from the thread itself
 * ({@code pthread_getattr_np} for its bounds, the stack pointer for its position), so that limits hold on a thread of
 * any stack size, Java's 1 MB platform threads, 256 KB ones and native threads of 8 MB alike. One limit serves every
 * state and callback, since they all share the thread's one stack.
 *
 * <p>Why a reserve: the JVM ends the process when Java code entered from native code (an upcall: a Java function
 * called by Lua, a callback, the library's own upcalls) cannot get the {@link #RESERVE shadow zone} of stack it checks
 * for on entry, and LuaJIT has no limit of its own for C functions that call back into Lua. So Lua is entered only
 * with the reserve free below, and C functions that recurse into Lua check before each level ({@link #CHECK}).
 *
 * <p>Immutable: a value for one stack, cached by whoever enters Lua often (a state, a callback's state) and checked
 * against the stack pointer on each use, which also notices a virtual thread that moved to another carrier.
 */
public final class StackGuard {

    /**
     * What stays free below an entry into Lua: the JVM's guard zones and the shadow zone its upcalls check for
     * (together 96 KB on x64 Linux: StackShadowPages 20, yellow 2, red 1 and reserved 1 pages of 4 KB), and room for
     * LuaJIT's frames between one check and the next (the library's Lua code lets two levels of C functions calling
     * back into Lua go unchecked; a {@code string.gsub} level takes 8.5 KB).
     */
    public static final long RESERVE = 128 * 1024;

    /** The size of the scratch memory that {@link #pointer(MemorySegment)} needs. */
    public static final long SCRATCH = 256;

    private static final Linker LINKER = Linker.nativeLinker();
    /** A stack whose bounds cannot be read: nothing is ever refused on it. */
    private static final StackGuard UNKNOWN = new StackGuard(Long.MIN_VALUE, Long.MAX_VALUE);
    private static final Probe PROBE = Probe.find();
    private static final ThreadLocal<StackGuard> CURRENT = new ThreadLocal<>();
    private static final ThreadLocal<MemorySegment> SCRATCHES = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(SCRATCH, 16));

    /**
     * {@code int check(lua_State *L)}: a C function for the library's Lua code that pushes how many bytes of the
     * thread's stack are left above the reserve (negative when the reserve is reached). Never raises.
     */
    public static final MemorySegment CHECK = LuaNative.cfunction(StackGuard::check, Arena.global());

    private final long low, high;

    private StackGuard(long low, long high) {
        this.low = low;
        this.high = high;
    }

    /**
     * The current stack pointer, or 0 where it cannot be read.
     *
     * @param scratch {@link #SCRATCH} bytes, aligned to 16, that no other thread uses meanwhile
     */
    public static long pointer(MemorySegment scratch) {
        return PROBE == null ? 0 : PROBE.pointer(scratch);
    }

    /** The guard of the stack that {@code sp}, a {@link #pointer(MemorySegment)} of this thread, lies in. */
    public static StackGuard of(long sp) {
        StackGuard cached = CURRENT.get();
        if (cached != null && cached.contains(sp)) {
            return cached;
        }
        StackGuard fresh = PROBE == null || sp == 0 ? UNKNOWN : PROBE.bounds();
        CURRENT.set(fresh);
        return fresh;
    }

    /** True when {@code sp} lies in this stack: a guard cached for a thread is still the right one. */
    public boolean contains(long sp) {
        return sp >= low && sp <= high;
    }

    /** Bytes of stack left below {@code sp} above the reserve; negative once Lua must not be entered. */
    public long available(long sp) {
        return this == UNKNOWN ? Long.MAX_VALUE : sp - low - RESERVE;
    }

    /** The message of an entry into Lua refused at {@code sp}. */
    public String overflow(long sp) {
        return "stack overflow: " + Math.max(0, (sp - low) / 1024) + " KB of this thread's " + (high - low) / 1024
                + " KB stack are left, and Lua is entered only with " + RESERVE / 1024 + " KB free for the JVM"
                + " (runaway recursion?)";
    }

    /** Bytes left above the reserve on the current thread's stack; see {@link #available(long)}. */
    public static long available() {
        long sp = pointer(SCRATCHES.get());
        return of(sp).available(sp);
    }

    // The body of CHECK, an upcall: it never throws, and pushes a number, which cannot fail.
    private static int check(MemorySegment L) {
        long left;
        try {
            left = available();
        } catch (Throwable t) {
            left = -1; // out of stack for even this: as good as none left
        }
        LuaNative.lua_pushnumber(L, Math.max(Math.min(left, 1L << 40), -1L << 40));
        return 1;
    }

    /**
     * Reads the stack where the C library allows it: on x64 Linux with glibc, the stack pointer from
     * {@code _setjmp}, which saves it mangled with the pointer guard of the thread's control block (where
     * {@code pthread_self} points); {@code getcontext} saves it plain but makes a system call (200 ns).
     */
    private record Probe(MethodHandle setjmp, MethodHandle self, MethodHandle getattr, MethodHandle getstack,
                         MethodHandle destroy, long pointerGuard) {

        // glibc's x86_64 jmp_buf: rbx, rbp, r12-r15, rsp, pc; PTR_MANGLE is xor with the guard, then rol 17
        private static final long JB_RSP = 6 * 8, TCB_POINTER_GUARD = 0x30;

        static Probe find() {
            try {
                if (!System.getProperty("os.arch").equals("amd64")
                        || !System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
                    return null;
                }
                SymbolLookup libc = LINKER.defaultLookup();
                Optional<MemorySegment> setjmp = libc.find("_setjmp"), getattr = libc.find("pthread_getattr_np");
                if (setjmp.isEmpty() || getattr.isEmpty() || libc.find("gnu_get_libc_version").isEmpty()) {
                    return null;
                }
                Linker.Option critical = Linker.Option.critical(false);
                MethodHandle self = LINKER.downcallHandle(libc.find("pthread_self").orElseThrow(),
                        FunctionDescriptor.of(JAVA_LONG), critical);
                long guard = MemorySegment.ofAddress((long) self.invokeExact()).reinterpret(TCB_POINTER_GUARD + 8)
                        .get(JAVA_LONG, TCB_POINTER_GUARD);
                Probe probe = new Probe(
                        LINKER.downcallHandle(setjmp.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS), critical),
                        self,
                        LINKER.downcallHandle(getattr.get(), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS)),
                        LINKER.downcallHandle(libc.find("pthread_attr_getstack").orElseThrow(),
                                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
                        LINKER.downcallHandle(libc.find("pthread_attr_destroy").orElseThrow(),
                                FunctionDescriptor.of(JAVA_INT, ADDRESS)),
                        guard);
                // trust the reading only if it lands in this thread's stack
                StackGuard bounds = probe.bounds();
                try (Arena arena = Arena.ofConfined()) {
                    return bounds != UNKNOWN && bounds.contains(probe.pointer(arena.allocate(SCRATCH, 16))) ? probe
                            : null;
                }
            } catch (Throwable t) {
                return null;
            }
        }

        long pointer(MemorySegment buffer) {
            try {
                int ignored = (int) setjmp.invokeExact(buffer);
            } catch (Throwable t) {
                return 0; // not thrown by _setjmp itself
            }
            return Long.rotateRight(buffer.get(JAVA_LONG, JB_RSP), 17) ^ pointerGuard;
        }

        /** The bounds of the current thread's stack, from pthread_getattr_np. */
        StackGuard bounds() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(128, 16);
                MemorySegment address = arena.allocate(ADDRESS), size = arena.allocate(JAVA_LONG);
                if ((int) getattr.invokeExact((long) self.invokeExact(), attr) != 0) {
                    return UNKNOWN;
                }
                try {
                    if ((int) getstack.invokeExact(attr, address, size) != 0) {
                        return UNKNOWN;
                    }
                } finally {
                    int ignored = (int) destroy.invokeExact(attr);
                }
                long low = address.get(ADDRESS, 0).address();
                return new StackGuard(low, low + size.get(JAVA_LONG, 0));
            } catch (Throwable t) {
                return UNKNOWN;
            }
        }
    }
}
