package dev.ljasync.internal.lua;

/**
 * Text for exceptions on error paths that must not throw themselves, such as upcall bodies (an exception leaving an
 * upcall ends the JVM): an exception's {@code toString} or {@code getMessage} is user code and may throw, and even
 * formatting may run out of memory or stack.
 */
public final class Failures {

    private Failures() {}

    /**
     * {@code t.toString()}, or its class name when that throws (and "an exception" when even that fails). Never
     * throws.
     */
    public static String describe(Throwable t) {
        try {
            return String.valueOf(t);
        } catch (Throwable first) {
            try {
                return t.getClass().getName() + " (its toString() threw " + first.getClass().getName() + ")";
            } catch (Throwable second) {
                return "an exception";
            }
        }
    }
}
