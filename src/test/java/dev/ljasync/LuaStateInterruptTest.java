package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Interruptible states: interrupt(), time limits, and a close that ends in bounded time whatever Lua code does. */
class LuaStateInterruptTest {

    /** Runs {@code source} on a thread of its own; the future holds its results or its exception. */
    private static CompletableFuture<Object[]> runAsync(LuaState lua, String source) {
        CompletableFuture<Object[]> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(lua.run(source));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private static LuaException failure(CompletableFuture<?> call) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
        return assertInstanceOf(LuaException.class, e.getCause());
    }

    @Test
    @Timeout(30)
    void shouldInterruptAnEndlessLoopAndStayUsable() throws Exception {
        try (LuaState lua = LuaState.builder().interruptible(true).open()) {
            CompletableFuture<Object[]> call = runAsync(lua, "while true do end");
            Thread.sleep(100);
            assertFalse(call.isDone(), "the loop runs");
            long asked = System.nanoTime();
            lua.interrupt();
            LuaException e = failure(call);
            long millis = (System.nanoTime() - asked) / 1_000_000;
            assertEquals(LuaException.Kind.CANCELLED, e.kind(), e::getMessage);
            assertTrue(millis < 500, millis + " ms");
            assertEquals(42L, lua.run("return 42")[0], "the next call runs as usual");
            CompletableFuture<Object[]> again = runAsync(lua, "while true do end");
            Thread.sleep(50);
            lua.interrupt();
            assertEquals(LuaException.Kind.CANCELLED, failure(again).kind(), "interrupted again");
            lua.interrupt(); // no call runs: nothing happens
            assertEquals(43L, lua.run("return 43")[0]);
            assertFalse(Thread.currentThread().isInterrupted());
        }
    }

    @Test
    @Timeout(30)
    void shouldInterruptAWaitOnAChannelAndTakeTheInterruptBack() throws Exception {
        try (Channel never = new Channel();
             LuaState lua = LuaState.builder().interruptible(true).open()) {
            lua.set("handle", never);
            CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
            CompletableFuture<Object[]> call = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    call.complete(lua.run("""
                            local ch = require("ljasync.sync").wrap(handle)
                            while true do pcall(ch.receive, ch) end"""));
                } catch (Throwable t) {
                    call.completeExceptionally(t);
                }
                interruptedAfter.complete(Thread.currentThread().isInterrupted());
            });
            Thread.sleep(100);
            lua.interrupt();
            assertEquals(LuaException.Kind.CANCELLED, failure(call).kind());
            assertFalse(interruptedAfter.get(5, TimeUnit.SECONDS), "the caller's thread is not left interrupted");
        }
    }

    @Test
    @Timeout(30)
    void shouldEndAWaitThatBeginsAfterTheInterruptWasTakenBack() throws Exception {
        try (Channel never = new Channel();
             LuaState lua = LuaState.builder().interruptible(true).open()) {
            lua.set("handle", never);
            // takes the thread's interrupt and returns: only the state's flag still says the call is interrupted
            lua.register("swallow", args -> {
                while (!Thread.interrupted()) {
                    Thread.onSpinWait();
                }
                return null;
            });
            CompletableFuture<Object[]> call = runAsync(lua, """
                    local ch = require("ljasync.sync").wrap(handle)
                    swallow()
                    return ch:receive()""");
            Thread.sleep(100);
            lua.interrupt();
            LuaException e = failure(call);
            assertEquals(LuaException.Kind.CANCELLED, e.kind(), e::getMessage);
            assertTrue(e.luaMessage().contains("interrupted while waiting"), e.luaMessage());
        }
    }

    @Test
    @Timeout(30)
    void shouldEndACallPastItsTimeLimit() throws Exception {
        try (LuaState lua = LuaState.builder().timeLimit(Duration.ofMillis(100)).open()) {
            long start = System.nanoTime();
            LuaException e = assertThrows(LuaException.class, () -> lua.run("while true do end"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(LuaException.Kind.CANCELLED, e.kind());
            assertTrue(millis >= 100 && millis < 600, millis + " ms");
            assertEquals(3L, lua.run("local n = 0 for i = 1, 1000 do n = n + 1 end return 3")[0], "in time");
        }
    }

    @Test
    @Timeout(30)
    void shouldCloseInBoundedTimeWhileALoopRuns() throws Exception {
        LuaState lua = LuaState.builder().interruptible(true).open();
        CompletableFuture<Object[]> call = runAsync(lua, "while true do end");
        Thread.sleep(100);
        long start = System.nanoTime();
        lua.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1000, millis + " ms");
        assertTrue(lua.isClosed());
        assertEquals(LuaException.Kind.CANCELLED, failure(call).kind());
        assertThrows(IllegalStateException.class, () -> lua.run("return 1"));
    }

    @Test
    @Timeout(30)
    void shouldInterruptAStateWithOnlyTheBaseLibrary() throws Exception {
        try (LuaState lua = LuaState.builder().libraries().interruptible(true).open()) {
            assertEquals("nil nil", lua.run("return tostring(debug) .. ' ' .. tostring(jit)")[0]);
            CompletableFuture<Object[]> call = runAsync(lua, "while true do end");
            Thread.sleep(50);
            lua.interrupt();
            assertEquals(LuaException.Kind.CANCELLED, failure(call).kind());
        }
    }

    @Test
    void shouldRefuseToInterruptAStateThatIsNotInterruptible() {
        try (LuaState lua = LuaState.open()) {
            assertThrows(IllegalStateException.class, lua::interrupt);
        }
        assertThrows(IllegalArgumentException.class, () -> LuaState.builder().timeLimit(Duration.ofSeconds(-1)));
    }

    @Test
    @Timeout(30)
    void shouldKeepLuaCodeFromUndoingTheInterruption() throws Exception {
        try (LuaState lua = LuaState.builder().interruptible(true).open()) {
            assertEquals("refused", lua.run("return pcall(jit.on) and 'on' or 'refused'")[0]);
            assertEquals("refused", lua.run("return pcall(debug.sethook) and 'set' or 'refused'")[0]);
            assertEquals("refused", lua.run("return pcall(debug.getregistry) and 'got' or 'refused'")[0]);
            assertEquals(false, lua.run("return jit.status()")[0]);
            CompletableFuture<Object[]> call = runAsync(lua, """
                    pcall(jit.on); pcall(debug.sethook)
                    while true do pcall(function() while true do end end) end""");
            Thread.sleep(100);
            lua.interrupt();
            assertEquals(LuaException.Kind.CANCELLED, failure(call).kind());
        }
    }

    // ---- __gc finalizers that never end: in a child JVM, whose looping thread dies with it ---------------------

    private static final String LOOPING_FINALIZER =
            "local p = newproxy(true); getmetatable(p).__gc = function() while true do end end; p = nil";

    @Test
    @Timeout(60)
    void shouldCloseInBoundedTimeWhenAFinalizerNeverEnds() {
        ChildJvm.run(LuaStateInterruptTest.class, "closeWithLoopingFinalizer").assertPrinted("closed in time");
        ChildJvm.run(LuaStateInterruptTest.class, "closeWhileACallRunsALoopingFinalizer").assertPrinted("closed in time");
    }

    /** A finalizer that never ends, run by lua_close. */
    static void closeWithLoopingFinalizer() {
        LuaState lua = LuaState.builder().interruptible(true).open();
        lua.run(LOOPING_FINALIZER);
        long start = System.nanoTime();
        lua.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (millis > 1500 || !lua.isClosed()) {
            throw new AssertionError("close took " + millis + " ms");
        }
        System.out.println("closed in time: " + millis + " ms");
    }

    /** A finalizer that never ends, run by a collection inside a call: the call holds the state for good. */
    static void closeWhileACallRunsALoopingFinalizer() throws Exception {
        LuaState lua = LuaState.builder().interruptible(true).open();
        runAsync(lua, LOOPING_FINALIZER + "; collectgarbage()");
        Thread.sleep(200);
        CompletableFuture<Object[]> waiting = runAsync(lua, "return 1"); // waits for the state's lock
        Thread.sleep(50);
        long start = System.nanoTime();
        lua.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (millis > 1500 || !lua.isClosed()) {
            throw new AssertionError("close took " + millis + " ms");
        }
        try {
            waiting.get(1, TimeUnit.SECONDS);
            throw new AssertionError("the waiting call ran");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof IllegalStateException)) {
                throw new AssertionError("the waiting call failed with " + e.getCause(), e.getCause());
            }
        }
        try {
            lua.run("return 1");
            throw new AssertionError("a call after close ran");
        } catch (IllegalStateException expected) {
            // refused at once, not queued behind the call that never ends
        }
        System.out.println("closed in time: " + millis + " ms");
    }
}
