package dev.ljasync.internal.lua;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * Where the errors of {@code __gc} finalizers go on LuaJIT builds that catch them (LuaJIT 2.1 since 2023 hands them
 * to its "errfin" VM event, and prints them to the process's stderr when nothing listens; older builds raise them
 * inside whichever call ran the collector): state.lua listens with {@link #REPORT}, a warning on the
 * {@code System.Logger} named {@value #LOGGER} for each of the first ten in a JVM, then for one in a thousand.
 */
public final class FinalizerErrors {

    /** The logger that finalizer errors are reported to. */
    public static final String LOGGER = "dev.ljasync.LuaState";
    private static final System.Logger LOG = System.getLogger(LOGGER);

    /** A lua_CFunction taking the error's text; an upcall that never throws. Lives as long as the JVM. */
    public static final MemorySegment REPORT = cfunction(FinalizerErrors::report, Arena.global());

    private static final AtomicLong REPORTED = new AtomicLong();
    private static final int LOGGED_IN_FULL = 10;

    private FinalizerErrors() {}

    /** How many finalizer errors were reported in this JVM. */
    public static long reported() {
        return REPORTED.get();
    }

    private static int report(MemorySegment L) {
        try {
            long count = REPORTED.incrementAndGet();
            // the first few in full, then one in a thousand: a finalizer that fails for every object of a loop
            // would otherwise flood the log
            if (count <= LOGGED_IN_FULL || count % 1000 == 0) {
                String message = lua_tostring(L, 1);
                LOG.log(System.Logger.Level.WARNING, "a __gc finalizer failed: " + message
                        + (count < LOGGED_IN_FULL ? "" : " (" + count + " finalizer errors in this JVM so far;"
                        + " from now on one in a thousand is logged)"));
            }
        } catch (Throwable ignored) {
            // a logger that fails cannot be reported to either; the finalizer's error is lost, the process is not
        }
        return 0;
    }
}
