package dev.ljasync;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Lua code on threads of its own for the synchronization tests: each worker is a {@link LuaThread} on a native
 * thread ({@code pthread_create}), whose state runs the chunk with the init args and whose function is called with
 * no userdata. The one place the tests start Lua threads.
 */
final class LuaWorkers {

    private LuaWorkers() {}

    /** Starts a worker: {@code source} returns the thread function, which returns an integer or nothing. */
    static LuaThread start(String name, String source, Object... initArgs) {
        return LuaThread.builder().name(name).nativeThread(true).start(source, MemorySegment.NULL, initArgs);
    }

    /** Joins each worker within {@code timeout}, asserts that it finished without an error, and closes it. */
    static void joinAll(Duration timeout, List<LuaThread> workers) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (LuaThread worker : workers) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            assertTrue(worker.join(left), () -> worker + " did not finish in " + timeout);
            assertEquals(LuaThread.Status.FINISHED, worker.status(),
                    () -> worker + " failed: " + worker.error().map(Throwable::getMessage).orElse("?"));
            worker.close();
        }
    }
}
