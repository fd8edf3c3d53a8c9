package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Nothing is kept once nothing can use it: replaced Java functions, dropped function handles, values a send
 * refused, and states dropped without close.
 */
class LeakTest {

    /** Runs the collector until {@code done} holds, for at most {@code seconds}; returns whether it came to hold. */
    private static boolean collectUntil(BooleanSupplier done, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            System.gc();
            Thread.sleep(10);
        }
        return true;
    }

    // ---- Java functions (item 12) ------------------------------------------------------------------------------

    @Test
    @Timeout(60)
    void shouldReleaseAJavaFunctionOnceItsNameIsRegisteredAgain() throws Exception {
        try (LuaState lua = LuaState.open()) {
            List<WeakReference<JavaFunction>> replaced = new ArrayList<>();
            JavaFunction last = null;
            for (int i = 0; i < 100_000; i++) {
                byte[] kilobyte = new byte[1024];
                int n = i;
                last = args -> n + kilobyte.length;
                if (i % 100 == 0) {
                    replaced.add(new WeakReference<>(last));
                }
                lua.register("handler", last);
            }
            replaced.removeLast();
            assertEquals(99_999L + 1024, lua.call("handler")[0]);
            lua.run("collectgarbage() collectgarbage()");
            assertTrue(collectUntil(() -> replaced.stream().allMatch(r -> r.get() == null), 20),
                    "a replaced Java function is let go");
            assertEquals(99_999L + 1024, lua.call("handler")[0], "the one registered now stays");
            assertNotNull(last);
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepAReplacedFunctionWorkingWhileLuaHoldsIt() throws Exception {
        try (LuaState lua = LuaState.open()) {
            String name = "first";
            JavaFunction first = args -> name; // capturing: a lambda that captures nothing is a constant
            WeakReference<JavaFunction> firstRef = new WeakReference<>(first);
            lua.register("f", first);
            first = null;
            lua.run("kept = f");
            lua.register("f", args -> "second");
            lua.run("collectgarbage() collectgarbage()");
            assertArrayEquals(new Object[] {"first", "second"}, lua.run("return kept(), f()"));
            lua.run("kept = nil collectgarbage() collectgarbage()");
            assertTrue(collectUntil(() -> firstRef.get() == null, 20), "let go once Lua dropped it too");
            assertEquals("second", lua.call("f")[0]);
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseTheInnerClosureOfAReleasedFunctionRatherThanRunAnother() {
        try (LuaState lua = LuaState.open()) {
            AtomicInteger otherCalls = new AtomicInteger();
            lua.register("doomed", args -> "doomed");
            // debug.getupvalue reaches the C closure inside the Lua wrapper; keep it, let the wrapper go
            lua.run("""
                    for i = 1, 10 do
                      local name, value = debug.getupvalue(doomed, i)
                      if name == nil then break end
                      if type(value) == "function" and debug.getinfo(value, "S").what == "C" then inner = value end
                    end
                    assert(inner, "no C closure among the upvalues")
                    doomed = nil
                    collectgarbage() collectgarbage()""");
            lua.register("other", args -> otherCalls.incrementAndGet()); // takes the released function's slot
            Object[] r = lua.run("return inner()");
            assertEquals(false, r[0], "the inner closure says it failed");
            assertTrue(((String) r[1]).contains("this Java function was released"), (String) r[1]);
            assertEquals(0, otherCalls.get(), "the function now in the slot did not run");
            assertEquals(1L, lua.call("other")[0]);
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseAnInnerClosureWhoseStateNumberWasChangedToAnotherStates() {
        AtomicInteger otherCalls = new AtomicInteger();
        try (LuaState other = LuaState.open(); LuaState lua = LuaState.open()) {
            other.register("victim", args -> otherCalls.incrementAndGet());
            lua.register("mine", args -> "mine");
            // the inner C closure's second upvalue names its state's Java functions: point it at each small number
            Object[] r = lua.run("""
                    local inner
                    for i = 1, 10 do
                      local name, value = debug.getupvalue(mine, i)
                      if name == nil then break end
                      if type(value) == "function" and debug.getinfo(value, "S").what == "C" then inner = value end
                    end
                    local own = select(2, debug.getupvalue(inner, 2))
                    local refused = 0
                    for n = 0, 200 do
                      if n ~= own then
                        debug.setupvalue(inner, 2, n)
                        if select("#", inner()) == 0 then refused = refused + 1 end
                      end
                    end
                    debug.setupvalue(inner, 2, own)
                    return refused, (inner())""");
            assertEquals(200L, r[0], "every other number gave no results");
            assertEquals(true, r[1], "its own number still runs it");
            assertEquals(0, otherCalls.get(), "the other state's function never ran on this state's stack");
            assertEquals(1L, other.call("victim")[0]);
        }
    }

    // ---- function handles (item 13) ----------------------------------------------------------------------------

    @Test
    @Timeout(120)
    void shouldFreeDroppedFunctionHandlesSoAStateSurvivesAMillionOfThem() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    function inc(x) return x + 1 end
                    function registry_size()
                      local n = 0
                      for _, v in pairs(debug.getregistry()) do
                        if type(v) ~= "number" then n = n + 1 end -- luaL_unref leaves a free-list number
                      end
                      return n
                    end""");
            long before = (Long) lua.call("registry_size")[0];
            for (int i = 0; i < 1_000_000; i++) {
                MethodHandle inc = lua.function("inc", "int (*)(int)");
                assertEquals(i + 1, (int) inc.invokeExact(i));
            }
            // the cleaner queues the references of collected handles; the next call frees them
            assertTrue(collectUntil(() -> (Long) lua.call("registry_size")[0] < before + 100, 30),
                    "the registry is back to its size: " + lua.call("registry_size")[0] + " entries, " + before
                            + " before");
            assertArrayEquals(new Object[] {"ctype<int [3]>", true}, lua.run(
                    "return tostring(require('ffi').typeof('int[3]')), require('string') == string"));
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepAHandleWorkingWhileOthersOfItsSignatureAreFreed() throws Throwable {
        try (LuaState lua = LuaState.open()) {
            lua.run("function twice(x) return 2 * x end function thrice(x) return 3 * x end");
            MethodHandle twice = lua.function("twice", "double (*)(double)");
            for (int i = 0; i < 10_000; i++) {
                MethodHandle thrice = lua.function("thrice", "double (*)(double)");
                assertEquals(3.0 * i, (double) thrice.invokeExact((double) i));
            }
            System.gc();
            lua.run("collectgarbage()");
            assertEquals(5.0, (double) twice.invokeExact(2.5));
        }
    }

    // ---- channel sends (item 14) -------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldLetGoOfAValueThatASendRefused() {
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local ch = require("ljasync.sync").channel()
                    local function fill()
                      local t = {}
                      for i = 1, 200000 do t[i] = "entry number " .. i end
                      return t
                    end
                    fill() -- grows the string table for good, as any such table does
                    collectgarbage() collectgarbage()
                    local before = collectgarbage("count")
                    local t = fill()
                    t[200001] = print
                    local ok, err = pcall(function() ch:send(t) end)
                    t = nil
                    collectgarbage() collectgarbage()
                    return ok, err, (collectgarbage("count") - before) * 1024""", "refused");
            assertEquals(false, r[0]);
            assertEquals("refused:12: ljasync.sync: cannot send value[200001]: it is a function, which cannot be"
                    + " copied into another state", r[1]);
            assertTrue(((Number) r[2]).doubleValue() < 64 * 1024, "bytes still held: " + r[2]);
        }
    }

    // ---- states dropped without close (item 15) ----------------------------------------------------------------

    private static final MethodHandle INC;

    static {
        try {
            INC = MethodHandles.insertArguments(MethodHandles.lookup().findStatic(Long.class, "sum",
                    MethodType.methodType(long.class, long.class, long.class)), 1, 1L);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Opens a state that sends {@code id} on {@code closed} when it is closed (a finalizer), and drops it. */
    private static void openAndDrop(int id, Channel closed) {
        LuaState lua = id % 3 == 2 ? LuaState.builder().memoryLimit(1 << 24).open() : LuaState.open();
        if (id % 3 == 1) {
            lua.register("twice", args -> 2 * (Long) args[0]); // its upcall stub must not keep the state alive
            assertEquals(2L * id, lua.call("twice", id)[0]);
        } else if (id % 3 == 0) {
            lua.register("inc", "int64_t (*)(int64_t)", INC); // nor must a typed function's, which is the state's own
            assertEquals(id + 1L, lua.run("return inc(...)", "typed", id)[0]);
        }
        lua.run("""
                local closed, id = require("ljasync.sync").wrap((...)), select(2, ...)
                data = {}
                for i = 1, 1000 do data[i] = i end
                sentinel = newproxy(true)
                getmetatable(sentinel).__gc = function() closed:send(id) end""", "drop", closed, id);
    }

    @Test
    @Timeout(120)
    void shouldCloseStatesDroppedWithoutClose() throws Exception {
        int count = 1_000;
        try (Channel closed = new Channel()) {
            for (int i = 0; i < count; i++) {
                openAndDrop(i, closed);
            }
            Set<Object> seen = new HashSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen.size() < count && System.nanoTime() < deadline) {
                System.gc();
                try {
                    while (true) {
                        seen.add(closed.receive(Duration.ofMillis(50)));
                    }
                } catch (TimeoutException drained) {
                    // collect again
                }
            }
            assertEquals(count, seen.size(), "every dropped state was closed, its finalizers run");
        }
    }

    private static Channel waitingState(Channel results) {
        Channel go = new Channel();
        Thread.ofPlatform().start(() -> {
            try {
                Object[] r = LuaState.open().run("""
                        local sync = require("ljasync.sync")
                        local go, results = sync.wrap((...)), sync.wrap((select(2, ...)))
                        local v = go:receive()
                        collectgarbage()
                        results:send(v .. " " .. #tostring(require("ffi").typeof("int")))""", "waits", go,
                        results);
            } catch (RuntimeException e) {
                try {
                    results.send(e.toString());
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        return go;
    }

    @Test
    @Timeout(30)
    void shouldNotCollectAStateWhoseCallIsRunning() throws Exception {
        try (Channel results = new Channel()) {
            Channel go = waitingState(results);
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(20);
            }
            go.send("done");
            assertEquals("done 10", results.receive(Duration.ofSeconds(10)));
        }
    }

    private static MethodHandle handleOfADroppedState() {
        LuaState lua = LuaState.open();
        lua.run("function add(a, b) return a + b end");
        return lua.function("add", "int (*)(int, int)");
    }

    @Test
    @Timeout(30)
    void shouldNotCollectAStateWhileAHandleOfItsFunctionIsHeld() throws Throwable {
        MethodHandle add = handleOfADroppedState();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(42, (int) add.invokeExact(40, 2));
    }

    /** Registers in {@code front} a Java function that calls a state nothing else refers to. */
    private static void askAnotherState(LuaState front) {
        LuaState back = LuaState.open();
        back.run("function answer() return 42 end");
        front.register("ask", args -> back.call("answer")[0]);
    }

    @Test
    @Timeout(30)
    void shouldNotCollectAStateThatAJavaFunctionOfAnotherStateUses() throws Exception {
        try (LuaState front = LuaState.open()) {
            askAnotherState(front);
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(42L, front.run("return ask()")[0]);
        }
    }
}
