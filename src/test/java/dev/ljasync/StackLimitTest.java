package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Nesting limits follow the thread's real stack, across every state and callback on it: runaway recursion between
 * Java and Lua, and Lua recursion through C functions that call back into Lua, end as a "stack overflow"
 * {@link LuaException} on threads of 256 KB, 512 KB and 1 MB and on native threads, never as a crash. Each scenario
 * runs in a child JVM, since the failure being tested for ends the process.
 */
@Timeout(300)
class StackLimitTest {

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    /** Runs {@code body} on a platform thread of {@code stackKb} KB (0: the default) and rethrows what it threw. */
    private static void onThread(long stackKb, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().stackSize(stackKb * 1024).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.join(60_000);
        check(!thread.isAlive(), "the thread did not finish");
        if (failure.get() instanceof Error e) {
            throw e;
        } else if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    private static void expectOverflow(Runnable call, String what) {
        try {
            call.run();
            throw new AssertionError(what + " returned");
        } catch (LuaException e) {
            check(e.luaMessage().contains("stack overflow"), what + ": " + e.luaMessage());
        }
    }

    // ---- Java <-> Lua ----------------------------------------------------------------------------------------------

    /** One state: nxt calls back into Lua's f, which calls nxt again, until the stack is used up. */
    private static void recursionThroughJava(long stackKb) throws InterruptedException {
        onThread(stackKb, () -> {
            try (LuaState lua = LuaState.open()) {
                AtomicInteger deepest = new AtomicInteger();
                lua.register("nxt", a -> {
                    deepest.set(((Long) a[0]).intValue());
                    return lua.call("f", a[0])[0];
                });
                lua.run("function f(n) return nxt(n + 1) end");
                expectOverflow(() -> lua.call("f", 0), "f");
                check(deepest.get() >= 10, "only " + deepest.get() + " levels");
                check(Long.valueOf(3).equals(lua.run("return 1 + 2")[0]), "state usable");
                System.out.println((stackKb == 0 ? "default" : stackKb + " KB") + " stack: " + deepest.get()
                        + " levels");
            }
        });
    }

    static void recursionThroughJavaOn256Kb() throws InterruptedException {
        recursionThroughJava(256);
    }

    static void recursionThroughJavaOn512Kb() throws InterruptedException {
        recursionThroughJava(512);
    }

    static void recursionThroughJavaOnTheDefaultStack() throws InterruptedException {
        recursionThroughJava(0);
    }

    /** A virtual thread runs on its carrier's stack, whichever carrier that is. */
    static void recursionOnAVirtualThread() throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try (LuaState lua = LuaState.open()) {
                lua.register("nxt", a -> lua.call("f", a[0])[0]);
                lua.run("function f(n) return nxt(n + 1) end");
                expectOverflow(() -> lua.call("f", 0), "f");
                expectOverflow(() -> lua.run(THROUGH_C[0][1], "through_c"), THROUGH_C[0][0]);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.join(60_000);
        check(!thread.isAlive() && failure.get() == null, "virtual thread: " + failure.get());
        System.out.println("virtual thread stopped");
    }

    /** Two states calling each other: a per-state limit would let them nest twice as deep. */
    static void pingPongBetweenTwoStates() throws InterruptedException {
        for (long stackKb : new long[] {0, 256}) {
            onThread(stackKb, () -> {
                try (LuaState a = LuaState.open(); LuaState b = LuaState.open()) {
                    a.register("nxt", v -> b.call("f", v[0])[0]);
                    b.register("nxt", v -> a.call("f", v[0])[0]);
                    a.run("function f(n) return nxt(n + 1) end");
                    b.run("function f(n) return nxt(n + 1) end");
                    expectOverflow(() -> a.call("f", 0), "ping-pong");
                    check(Long.valueOf(2).equals(b.run("return 1 + 1")[0]), "state usable");
                }
            });
        }
        System.out.println("ping-pong stopped");
    }

    /** Java recursion that enters Lua at every level gets a LuaException before the JVM's own limit. */
    static void javaRecursionCallingLua() {
        try (LuaState lua = LuaState.open()) {
            lua.register("id", a -> a[0]);
            lua.run("function g(n) return id(n) end");
            try {
                recurseInto(lua, 0);
                throw new AssertionError("returned");
            } catch (LuaException e) {
                check(e.luaMessage().startsWith("stack overflow"), e.luaMessage());
            }
            System.out.println("java recursion stopped");
        }
    }

    private static long recurseInto(LuaState lua, long n) {
        return (Long) lua.call("g", n)[0] + recurseInto(lua, n + 1);
    }

    @Test
    void shouldStopRecursionThroughJavaOnA256KbThread() {
        ChildJvm.run(StackLimitTest.class, "recursionThroughJavaOn256Kb").assertPrinted("256 KB stack: ");
    }

    @Test
    void shouldStopRecursionThroughJavaOnA512KbThread() {
        ChildJvm.run(StackLimitTest.class, "recursionThroughJavaOn512Kb").assertPrinted("512 KB stack: ");
    }

    @Test
    void shouldStopRecursionThroughJavaOnTheDefaultStack() {
        ChildJvm.run(StackLimitTest.class, "recursionThroughJavaOnTheDefaultStack").assertPrinted("default stack: ");
    }

    @Test
    void shouldStopRecursionOnAVirtualThread() {
        ChildJvm.run(StackLimitTest.class, "recursionOnAVirtualThread").assertPrinted("virtual thread stopped");
    }

    @Test
    void shouldStopRecursionPingPongingBetweenTwoStates() {
        ChildJvm.run(StackLimitTest.class, "pingPongBetweenTwoStates").assertPrinted("ping-pong stopped");
    }

    @Test
    void shouldStopJavaRecursionThatEntersLuaAtEveryLevel() {
        ChildJvm.run(StackLimitTest.class, "javaRecursionCallingLua").assertPrinted("java recursion stopped");
    }

    // ---- Lua -> C -> Lua -------------------------------------------------------------------------------------------

    /** Lua recursion through each C function of LuaJIT's libraries that calls back into Lua. */
    static final String[][] THROUGH_C = {
            {"table.sort", "local function f() table.sort({3, 2, 1}, function(a, b) f() return a < b end) end f()"},
            {"__lt in table.sort", "local t = {} setmetatable(t, {__lt = function() table.sort({t, t, t}) end})"
                    + " table.sort({t, t, t})"},
            {"string.gsub", "local function f() string.gsub('a', 'a', function() f() end) end f()"},
            {"string.gsub, table replacement", "local r = setmetatable({}, {__index = function() f() end})"
                    + " function f() ('a'):gsub('a', r) end f()"},
            {"load with a reader", "local function f() local fn, e = load(function() f() end)"
                    + " if not fn then error(e, 0) end end f()"},
            // each level trims the position that coroutine.wrap prefixes to an error passing through it, which
            // would otherwise make the message grow with the depth (and the run take seconds)
            {"coroutine.wrap", "local function f() local ok, e = pcall(coroutine.wrap(f))"
                    + " if not ok then error(e:match('stack overflow.*') or e, 0) end end f()"},
            {"coroutine.resume", "local function f() local ok, e = coroutine.resume(coroutine.create(f))"
                    + " if not ok then error(e, 0) end end f()"},
            {"print and __tostring", "local function f() print(setmetatable({}, {__tostring = f})) end f()"},
            {"string.format and __tostring", "local function f() return string.format('%s',"
                    + " setmetatable({}, {__tostring = f})) end f()"},
            {"string.buffer put", "local buffer = require('string.buffer') local function f()"
                    + " buffer.new():put(setmetatable({}, {__tostring = function() f() return '' end})) end f()"},
            {"module options", "local n, module = 0, module local function f() n = n + 1"
                    + " module('ljasync_test_' .. n, function() f() end) end f()"},
    };

    static void recursionThroughCFunctions() throws InterruptedException {
        for (long stackKb : new long[] {0, 256}) {
            onThread(stackKb, () -> {
                for (String[] c : THROUGH_C) {
                    System.out.println("running " + c[0]);
                    System.out.flush();
                    try (LuaState lua = LuaState.open()) {
                        expectOverflow(() -> lua.run(c[1], "through_c"), c[0]);
                        check(Long.valueOf(3).equals(lua.run("return 1 + 2")[0]), c[0] + ": state usable");
                    }
                }
            });
        }
        System.out.println("every recursion stopped");
    }

    /**
     * The same, in callbacks called from native threads (pthreads with their 8 MB stacks), for the cases that get
     * there fast: 8 MB of nesting takes seconds for most, and minutes where each level's error message grows by a
     * position prefix (nested coroutine.wrap) or each level's error builds a traceback (load with a reader).
     */
    static void recursionThroughCFunctionsOnNativeThreads() throws Throwable {
        CallbackType type = CallbackType.of("void *(*)(void *)");
        for (String[] c : THROUGH_C) {
            if (!List.of("__lt in table.sort", "string.gsub", "string.gsub, table replacement").contains(c[0])) {
                continue;
            }
            AtomicReference<LuaException> error = new AtomicReference<>();
            try (Callback callback = type.builder().onError(error::set).create(
                    "local code = ... return function() assert(load(code))() end", c[1])) {
                long thread = NativeCallers.pthreadCreate(callback.funcptr(), MemorySegment.NULL);
                NativeCallers.pthreadJoin(thread);
                check(callback.errorCount() == 1, c[0] + ": errors " + callback.errorCount());
                check(error.get().luaMessage().contains("stack overflow"), c[0] + ": " + error.get().luaMessage());
            }
        }
        System.out.println("every recursion stopped on native threads");
    }

    @Test
    void shouldStopLuaRecursionThroughCFunctions() {
        ChildJvm.run(StackLimitTest.class, "recursionThroughCFunctions").assertPrinted("every recursion stopped");
    }

    @Test
    void shouldStopLuaRecursionThroughCFunctionsOnNativeThreads() {
        ChildJvm.run(StackLimitTest.class, "recursionThroughCFunctionsOnNativeThreads")
                .assertPrinted("every recursion stopped on native threads");
    }

    @Test
    void shouldKeepTheOwnErrorsOfGuardedFunctions() {
        try (LuaState lua = LuaState.open()) {
            String[][] cases = {
                    {"table.sort(1)", "bad argument #1 to 'sort' (table expected, got number)"},
                    {"local s = ('x'):gsub()", "bad argument #1 to 'gsub' (string expected, got no value)"},
                    {"local s = string.format('%d', 'x')", "bad argument #2 to 'format' (number expected, got string)"},
                    {"coroutine.wrap(1)", "bad argument #1 to 'wrap' (function expected, got number)"},
                    {"require('ffi').gc(1, 2)", "bad argument #2 to 'gc' (a finalizer must be callable, not a number)"},
            };
            for (String[] c : cases) {
                LuaException e = assertThrows(LuaException.class,
                        () -> lua.run("\n" + c[0], "guarded"));
                assertEquals("guarded:2: " + c[1], e.luaMessage());
            }
        }
    }

    // ---- callbacks ----------------------------------------------------------------------------------------------

    /**
     * Java recursion that calls a callback's pointer at every level: once the stack is nearly gone, the call is
     * refused (the fallback, a REFUSED "stack overflow" error to the handler) instead of entering Lua. The scenario stops
     * recursing at the first refusal: a caller that went on would be ended by the JVM itself, whose upcall stubs end
     * the process when entered with less stack than they need, before any library code runs.
     */
    static void javaRecursionCallingACallback() throws Throwable {
        AtomicReference<LuaException> error = new AtomicReference<>();
        try (Callback callback = CallbackType.of("int (*)(int)").builder().fallback(-1).onError(error::set)
                .create("return function(x) return x + 1 end")) {
            MethodHandle call = NativeCallers.downcall(callback);
            int depth = untilRefused(call, 0);
            check(depth > 100, "refused after " + depth + " levels");
            check(callback.errorCount() == 1, "errors " + callback.errorCount());
            check(error.get().kind() == LuaException.Kind.REFUSED, "kind " + error.get().kind());
            check(error.get().luaMessage().startsWith("a call to callback callback was refused: stack overflow: "),
                    error.get().luaMessage());
            check((int) call.invokeExact(41) == 42, "next call");
        }
        System.out.println("callback refused");
    }

    private static int untilRefused(MethodHandle call, int n) throws Throwable {
        int r = (int) call.invokeExact(n);
        if (r == -1) {
            return n;
        }
        check(r == n + 1, "result " + r);
        return untilRefused(call, n + 1);
    }

    @Test
    void shouldRefuseACallbackCallWhenTheStackIsNearlyGone() {
        ChildJvm.run(StackLimitTest.class, "javaRecursionCallingACallback").assertPrinted("callback refused");
    }
}
