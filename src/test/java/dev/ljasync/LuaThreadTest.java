package dev.ljasync;

import dev.ljasync.internal.sync.ThreadCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** LuaThreads: results through userdata, joins with timeouts, errors, cancellation, native threads, many threads. */
class LuaThreadTest {

    private static final Duration LONG_ENOUGH = Duration.ofSeconds(30);

    /** Waits on a flag in native memory until Java sets it; sleeps between looks so the JIT is irrelevant. */
    private static final String WAIT_FOR_FLAG = """
            local ffi = require("ffi")
            ffi.cdef("int usleep(unsigned int usec);")
            return function(ud)
              local flag = ffi.cast("volatile int *", ud)
              while flag[0] == 0 do ffi.C.usleep(1000) end
              return flag[0] * 10
            end""";

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    void shouldReturnWhatTheFunctionComputesFromItsUserdata(boolean nativeThread) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocateFrom(JAVA_LONG, 12);
            try (LuaThread thread = LuaThread.builder().nativeThread(nativeThread).start("""
                    local ffi = require("ffi")
                    local offset = ...
                    return function(ud)
                      return ffi.cast("int64_t *", ud)[0] * 2 + offset
                    end""", cell, 1L)) {
                assertTrue(thread.join(LONG_ENOUGH));
                assertEquals(LuaThread.Status.FINISHED, thread.status());
                assertEquals(25L, thread.result());
                assertTrue(thread.error().isEmpty());
            }
        }
    }

    @Test
    void shouldReturnAddressesNegativeNumbersAndNothing() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocate(16);
            try (LuaThread pointer = LuaThread.start(
                         "local ffi = require('ffi') return function(ud) return ffi.cast('uintptr_t', ud) end", cell);
                 LuaThread offset = LuaThread.start("""
                         local ffi = require('ffi')
                         return function(ud) return ffi.cast('uintptr_t', ffi.cast('char *', ud) + 8) end""", cell);
                 LuaThread negative = LuaThread.start("return function() return -5 end", MemorySegment.NULL);
                 LuaThread nothing = LuaThread.start("return function() end", MemorySegment.NULL);
                 LuaThread wide = LuaThread.start("return function() return 0x7FFFFFFFFFFFFFFFLL end",
                         MemorySegment.NULL)) {
                for (LuaThread t : List.of(pointer, offset, negative, nothing, wide)) {
                    assertTrue(t.join(LONG_ENOUGH));
                }
                assertEquals(cell.address(), pointer.result());
                assertEquals(cell.address() + 8, offset.result());
                assertEquals(-5L, negative.result());
                assertNull(nothing.result());
                assertEquals(List.of(), nothing.results());
                assertEquals(Long.MAX_VALUE, wide.result());
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldTimeOutAJoinWhileTheThreadWaitsAndJoinAfterItEnds() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment flag = arena.allocate(JAVA_INT);
            LuaThread thread = LuaThread.start(WAIT_FOR_FLAG, flag);
            long started = System.nanoTime();
            assertFalse(thread.join(Duration.ofMillis(200)));
            assertTrue(System.nanoTime() - started >= Duration.ofMillis(200).toNanos(), "join waited its timeout");
            assertFalse(thread.join(Duration.ZERO));
            assertTrue(thread.isAlive());
            assertEquals(LuaThread.Status.RUNNING, thread.status());
            assertThrows(IllegalStateException.class, thread::result);
            var refused = assertThrows(IllegalStateException.class, thread::close);
            assertTrue(refused.getMessage().contains("join"), refused.getMessage());

            JAVA_INT.varHandle().setVolatile(flag, 0L, 4);
            assertTrue(thread.join(LONG_ENOUGH));
            assertTrue(thread.join(Duration.ZERO));
            assertEquals(40L, thread.result());
            thread.close();
            thread.close();
        }
    }

    @Test
    void shouldRefuseANegativeTimeout() throws Exception {
        try (LuaThread thread = LuaThread.start("return function() end", MemorySegment.NULL)) {
            assertThrows(IllegalArgumentException.class, () -> thread.join(Duration.ofMillis(-1)));
            thread.join();
        }
    }

    @Test
    void shouldKeepALuaErrorWithItsTraceback() throws Exception {
        try (LuaThread thread = LuaThread.builder().name("worker").start("""
                local function check(n)
                  error("bad input " .. n)
                end
                return function()
                  check(7)
                end""", MemorySegment.NULL)) {
            assertTrue(thread.join(LONG_ENOUGH));
            assertEquals(LuaThread.Status.FAILED, thread.status());
            LuaException e = thread.error().orElseThrow();
            assertEquals("worker:2: bad input 7", e.luaMessage());
            assertTrue(e.traceback().contains("worker:2: in function 'check'"), e.traceback());
            assertTrue(e.traceback().contains("worker:5:"), e.traceback());
            var noResult = assertThrows(IllegalStateException.class, thread::result);
            assertSame(e, noResult.getCause());
        }
    }

    @Test
    void shouldReturnAPointerAsItsAddress() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(16);
            try (LuaThread thread = LuaThread.start("""
                    return function(ud)
                      local ffi = require("ffi")
                      return ud, ffi.cast("char *", ud) + 8, ffi.new("int", 3)
                    end""", data)) {
                thread.join();
                assertEquals(LuaThread.Status.FAILED, thread.status(), "an int cdata does not cross");
                String message = thread.error().orElseThrow().luaMessage();
                assertTrue(message.startsWith("result 3 of the thread function is a cdata of type ctype<int>"),
                        message);
            }
            try (LuaThread thread = LuaThread.start("return function(ud) return ud, require('ffi').cast('char *',"
                    + " ud) + 8 end", data)) {
                thread.join();
                assertEquals(LuaThread.Status.FINISHED, thread.status());
                assertEquals(data.address(), ((MemorySegment) thread.results().get(0)).address());
                assertEquals(data.address() + 8, ((MemorySegment) thread.results().get(1)).address());
            }
        }
    }

    @Test
    void shouldReportChunkErrorsAtStart() {
        assertThrows(LuaException.class, () -> LuaThread.start("return function(", MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> LuaThread.start("return 1", MemorySegment.NULL));
    }

    @ParameterizedTest(name = "native thread: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void shouldCancelAnEndlessLoop(boolean nativeThread) throws Exception {
        try (LuaThread thread = LuaThread.builder().cancellable(true).nativeThread(nativeThread).start("""
                return function()
                  local n = 0
                  while true do n = n + 1 end
                end""", MemorySegment.NULL)) {
            assertFalse(thread.join(Duration.ofMillis(100)), "the loop runs");
            long asked = System.nanoTime();
            thread.cancel();
            assertTrue(thread.join(Duration.ofSeconds(1)), "stopped within a second of cancel");
            long stoppedMillis = (System.nanoTime() - asked) / 1_000_000;
            assertEquals(LuaThread.Status.CANCELLED, thread.status(), () -> thread.error().toString());
            assertTrue(stoppedMillis < 1000, stoppedMillis + " ms");
            thread.cancel(); // nothing left to cancel
        }
    }

    @Test
    @Timeout(30)
    void shouldCancelAThreadWaitingOnAChannel() throws Exception {
        try (Channel never = new Channel();
             LuaThread thread = LuaThread.builder().cancellable(true).start("""
                     local sync = require("ljasync.sync")
                     local channel = sync.wrap((...))
                     return function()
                       return channel:receive()
                     end""", MemorySegment.NULL, never)) {
            assertFalse(thread.join(Duration.ofMillis(100)), "the thread waits for a message");
            thread.cancel();
            assertTrue(thread.join(Duration.ofSeconds(1)), "stopped within a second of cancel");
            assertEquals(LuaThread.Status.CANCELLED, thread.status());
            assertTrue(thread.error().orElseThrow().luaMessage().contains("interrupted"),
                    thread.error().orElseThrow().luaMessage());
        }
    }

    @Test
    void shouldRefuseToCancelAThreadStartedWithoutCancellation() throws Exception {
        try (LuaThread thread = LuaThread.start("return function() end", MemorySegment.NULL)) {
            assertThrows(IllegalStateException.class, thread::cancel);
            thread.join();
        }
    }

    @Test
    @Timeout(300)
    void shouldRunTenThousandThreadsSumTheirResultsAndGiveTheMemoryBack() throws Exception {
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = lua.compile("""
                    local ffi = require("ffi")
                    return function(ud)
                      local n = ffi.cast("int64_t *", ud)[0]
                      return n * 3, tonumber(n % 7), "n" .. tonumber(n)
                    end""", "tripler");
        }
        int total = 10_000, wave = 100;
        runThreads(chunk, 2000, wave); // warm up: class loading, JIT, code cache, heap sizing
        System.gc();
        long before = residentBytes();
        runThreads(chunk, total, wave);
        System.gc();
        Thread.sleep(200); // the cleaner frees the stubs and native memory of unreachable callbacks
        System.gc();
        // The threads kept for reuse give malloc's free pages back once they have idled out (see ThreadCache)
        long deadline = System.nanoTime() + LONG_ENOUGH.toNanos();
        while (ThreadCache.PLATFORM.threadCount() > 0) {
            assertTrue(System.nanoTime() < deadline, "the idle threads did not exit");
            Thread.sleep(50);
        }
        long after = residentBytes();
        long grownMb = (after - before) >> 20;
        System.out.println("resident memory: " + (before >> 20) + " MB before, " + (after >> 20) + " MB after "
                + total + " threads");
        assertTrue(grownMb < 16, "resident memory grew by " + grownMb + " MB over " + total + " threads");
    }

    private static void runThreads(byte[] chunk, int total, int wave) throws InterruptedException {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment inputs = arena.allocate(JAVA_LONG, total);
            for (int i = 0; i < total; i++) {
                inputs.setAtIndex(JAVA_LONG, i, i + 1_000_000_000L);
            }
            long tripled = 0, remainders = 0, expectedTripled = 0, expectedRemainders = 0;
            for (int first = 0; first < total; first += wave) {
                List<LuaThread> threads = new ArrayList<>();
                for (int i = first; i < Math.min(total, first + wave); i++) {
                    threads.add(LuaThread.start(chunk, inputs.asSlice(i * 8L, 8)));
                }
                for (int k = 0; k < threads.size(); k++) {
                    LuaThread thread = threads.get(k);
                    long n = first + k + 1_000_000_000L;
                    assertTrue(thread.join(LONG_ENOUGH));
                    List<Object> results = thread.results();
                    assertEquals("n" + n, results.get(2), thread.toString());
                    tripled += (Long) results.get(0);
                    remainders += (Long) results.get(1);
                    expectedTripled += n * 3;
                    expectedRemainders += n % 7;
                    thread.close();
                }
            }
            assertEquals(expectedTripled, tripled);
            assertEquals(expectedRemainders, remainders);
        }
    }

    /** The process's resident set (VmRSS), in bytes. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }
}
