package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cancellation of LuaThreads that cannot be lost, whenever it comes, nor undone by the thread's own Lua code. */
class CancellationTest {

    private static final String RECEIVE_FOREVER = """
            local sync = require("ljasync.sync")
            local channel = sync.wrap((...))
            return function()
              return channel:receive()
            end""";

    @Test
    @Timeout(60)
    void shouldCancelEveryThreadWhateverMomentCancelComes() throws Exception {
        int threads = 1000, batch = 50;
        int cancelled = 0, late = 0;
        long worstMillis = 0;
        byte[] chunk;
        try (LuaState lua = LuaState.open()) {
            chunk = lua.compile(RECEIVE_FOREVER, "receiver");
        }
        for (int done = 0; done < threads && late == 0; done += batch) {
            List<LuaThread> started = new ArrayList<>();
            List<Long> asked = new ArrayList<>();
            try (Channel never = new Channel()) {
                for (int i = 0; i < batch; i++) {
                    LuaThread thread = LuaThread.builder().cancellable(true).start(chunk, MemorySegment.NULL, never);
                    if (i % 3 == 1) {
                        Thread.onSpinWait(); // a little later: while the body starts
                    } else if (i % 3 == 2) {
                        Thread.sleep(0, 200_000); // later still: at or after the wait begins
                    }
                    asked.add(System.nanoTime());
                    thread.cancel();
                    started.add(thread);
                }
                for (int i = 0; i < batch; i++) {
                    LuaThread thread = started.get(i);
                    long left = Math.max(0, 200_000_000 - (System.nanoTime() - asked.get(i)));
                    if (!thread.join(Duration.ofNanos(left))) {
                        late++;
                    }
                    worstMillis = Math.max(worstMillis, (System.nanoTime() - asked.get(i)) / 1_000_000);
                }
            } // closing the channel ends the waits of threads whose cancel was lost
            for (LuaThread thread : started) {
                assertTrue(thread.join(Duration.ofSeconds(5)), thread.toString());
                if (thread.status() == LuaThread.Status.CANCELLED) {
                    cancelled++;
                }
                thread.close();
            }
        }
        assertEquals(0, late, "threads still running 200 ms after cancel");
        assertEquals(threads, cancelled, "threads that ended CANCELLED (worst " + worstMillis + " ms)");
    }

    @Test
    @Timeout(30)
    void shouldSkipTheFunctionOfAThreadCancelledBeforeItStarts() throws Exception {
        LuaThread thread = LuaThread.builder().cancellable(true).start("""
                return function()
                  return 42
                end""", MemorySegment.NULL);
        thread.cancel();
        assertTrue(thread.join(Duration.ofSeconds(5)));
        // either it finished before cancel came, or it never ran: never a late cancel lost
        assertTrue(thread.status() == LuaThread.Status.CANCELLED || thread.status() == LuaThread.Status.FINISHED,
                thread.toString());
        thread.close();
    }

    /** Lua code that tries to undo its cancellation; each must still end CANCELLED within a second. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "pcall(jit.on); while true do end",
            "pcall(require('jit').on); while true do end",
            "pcall(debug.sethook); while true do end",
            "pcall(debug.sethook, function() end, '', 1e9); while true do end",
            "while true do pcall(function() while true do end end) end",
            "while true do xpcall(function() while true do end end, function(e) return e end) end",
            "while true do pcall(pcall, function() while true do end end) end",
            "while true do xpcall(function() while true do end end, function() while true do end end) end",
            "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
            "while true do pcall(coroutine.wrap(function() while true do end end)) end",
            "local h = debug.gethook(); if h then for i = 1, 10 do local n, v = debug.getupvalue(h, i);"
                    + " if type(v) == 'function' then pcall(v) end end end; while true do end",
            "local ok, r = pcall(debug.getregistry); if ok then for k in pairs(r) do"
                    + " if type(k) == 'userdata' then r[k] = nil end end end; while true do end",
            "local sync = require('ljasync.sync'); local ch = sync.channel();"
                    + " while true do pcall(ch.receive, ch) end",
    })
    @Timeout(30)
    void shouldNotLetLuaCodeUndoItsCancellation(String body) throws Exception {
        try (LuaThread thread = LuaThread.builder().cancellable(true).start(
                "return function() " + body + " end", MemorySegment.NULL)) {
            assertFalse(thread.join(Duration.ofMillis(100)), "the thread runs");
            long asked = System.nanoTime();
            thread.cancel();
            boolean ended = thread.join(Duration.ofSeconds(1));
            long millis = (System.nanoTime() - asked) / 1_000_000;
            if (!ended) {
                // leave nothing running in this JVM: the hook cannot come back, so end the loop another way
                throw new AssertionError("still running " + millis + " ms after cancel");
            }
            assertEquals(LuaThread.Status.CANCELLED, thread.status(), () -> thread.error().toString());
            assertEquals(LuaException.Kind.CANCELLED, thread.error().orElseThrow().kind());
        }
    }

    @Test
    void shouldRaiseTheCancellationAgainInStatesWithoutTheOsLibrary() throws Exception {
        // os.exit needs no catching functions replaced there: the interruption still does
        for (LuaState.Builder options : List.of(LuaState.builder().libraries(LuaState.Library.DEBUG),
                LuaState.builder().processExit(true))) {
            try (LuaThread thread = LuaThread.builder().cancellable(true).stateOptions(options).start("""
                    return function()
                      local caught = 0
                      while true do
                        if not pcall(function() for i = 1, 1e9 do end end) then caught = caught + 1 end
                        if caught > 0 then return caught end -- a caught cancellation: the thread finishes
                      end
                    end""", MemorySegment.NULL)) {
                assertFalse(thread.join(Duration.ofMillis(100)), "the thread runs");
                thread.cancel();
                assertTrue(thread.join(Duration.ofSeconds(2)));
                assertEquals(LuaThread.Status.CANCELLED, thread.status(), () -> thread.error().toString());
            }
        }
    }
}
