package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A state with a memory limit that ran out of memory is usable again once its garbage is collected. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryLimitRecoveryTest {

    private static final long LIMIT = 32L << 20;

    // In a child JVM: without the limit, these finalizers would allocate until the machine has no memory left.
    static void closeWithFinalizersThatAllocateWithoutEnd() {
        LuaState lua = LuaState.builder().memoryLimit(LIMIT).open();
        try {
            lua.run("""
                    local hog = {}
                    for i = 1, 20000 do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function() for j = 1, 1e9 do hog[#hog + 1] = {j} end end
                      hog[i] = {p}
                      if i % 1000 == 0 then hog = {} end
                    end""", "hog");
            throw new AssertionError("the finalizers did not run out of memory");
        } catch (LuaException e) {
            if (e.kind() != LuaException.Kind.MEMORY) {
                throw e;
            }
        }
        if (lua.memoryUsed() > LIMIT + LIMIT / 8) {
            throw new AssertionError("used " + lua.memoryUsed());
        }
        long start = System.nanoTime();
        lua.close(); // runs the finalizers that are left, within the limit
        System.out.println("closed in " + ((System.nanoTime() - start) / 1_000_000_000 < 10 ? "time" : "too long"));
    }

    @Test
    void shouldCloseInBoundedMemoryWhenFinalizersAllocateWithoutEnd() {
        ChildJvm.run(MemoryLimitRecoveryTest.class, "closeWithFinalizersThatAllocateWithoutEnd")
                .assertPrinted("closed in time");
    }

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
