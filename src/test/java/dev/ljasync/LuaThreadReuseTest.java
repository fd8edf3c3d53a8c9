package dev.ljasync;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/** LuaThreads run on reused threads (see ThreadCache): what each one sees of its thread. */
class LuaThreadReuseTest {

    /** Each LuaThread's Java functions run on a daemon thread named after it, not interrupted by the one before. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void shouldNameEachThreadAfterItsLuaThread(boolean nativeThread) throws Exception {
        List<List<Object>> seen = new CopyOnWriteArrayList<>();
        LuaState.Builder options = LuaState.builder().module("probe", Map.of(
                "look", args -> {
                    Thread me = Thread.currentThread();
                    seen.add(List.of(me.getName(), me.isDaemon(), me.isInterrupted()));
                    return null;
                },
                "interrupt", args -> {
                    Thread.currentThread().interrupt(); // left set as the thread function returns nothing
                    return null;
                }));
        for (String name : List.of("first", "second", "third")) {
            try (LuaThread thread = LuaThread.builder().name(name).nativeThread(nativeThread).stateOptions(options)
                    .spawn("""
                            local probe = require("probe")
                            return function() probe.look() probe.interrupt() end""")) {
                assertTrue(thread.join(Duration.ofSeconds(30)));
                assertEquals(LuaThread.Status.FINISHED, thread.status(), () -> String.valueOf(thread.error()));
            }
        }
        assertEquals(List.of(List.of("first", true, false), List.of("second", true, false),
                List.of("third", true, false)), seen);
    }
}
