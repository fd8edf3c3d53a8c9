package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A state with a memory limit that ran out of memory is usable again once its garbage is collected. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryLimitRecoveryTest {

    private static final long LIMIT = 32L << 20;

    @Test
    void shouldRecoverAfterAllocationBombsWhoseGarbageWaitsForFinalizers() {
        // Garbage with __gc finalizers is freed only after they run, and they need memory to run: at the limit they
        // failed too, and every later call failed with them.
        String bomb = """
                local t = {}
                for i = 1, 1e9 do
                  local p = newproxy(true)
                  getmetatable(p).__gc = function() local x = {i} end
                  t[i] = p
                end""";
        try (LuaState lua = LuaState.builder().memoryLimit(LIMIT).open()) {
            for (int i = 0; i < 3; i++) {
                var e = assertThrows(LuaException.class, () -> lua.run(bomb, "bomb"));
                assertEquals(LuaException.Kind.MEMORY, e.kind());
            }
            lua.run("collectgarbage()");
            int succeeded = 0;
            for (int i = 0; i < 50; i++) {
                lua.run("local t = {} for i = 1, 1000 do t[i] = {} end");
                succeeded++;
            }
            assertEquals(50, succeeded);
            assertTrue(lua.memoryUsed() < LIMIT / 4, "used " + lua.memoryUsed());
        }
    }
}
