package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The error paths of upcalls (a Java function run by Lua, a callback called by native code) survive whatever the
 * failure is made of: exceptions whose toString and getMessage throw, error handlers that throw errors or run out of
 * stack, and handlers that call their own callback again. Each scenario runs in a child JVM, since a failure there
 * ends the process.
 */
@Timeout(200)
class UpcallErrorPathTest {

    /** An exception that cannot be described: its getMessage and toString throw. */
    static final class Hostile extends RuntimeException {
        @Override
        public String getMessage() {
            throw new IllegalStateException("getMessage refuses");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("toString refuses");
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    static void javaFunctionThrowsAnExceptionThatCannotBeDescribed() {
        try (LuaState lua = LuaState.open()) {
            lua.register("boom", args -> {
                throw new Hostile();
            });
            try {
                lua.run("boom()", "hostile");
                throw new AssertionError("boom() returned");
            } catch (LuaException e) {
                check(e.kind() == LuaException.Kind.JAVA, "kind " + e.kind());
                check(e.getCause() instanceof Hostile, "cause " + e.getCause().getClass());
                check(e.luaMessage().equals("hostile:1: Java function 'boom' threw " + Hostile.class.getName()
                        + " (its toString() threw java.lang.IllegalStateException)"), e.luaMessage());
            }
            check(Long.valueOf(3).equals(lua.run("return 1 + 2")[0]), "state usable");
            System.out.println("described as the class name");
        }
    }

    static void javaFunctionRunsOutOfStack() {
        try (LuaState lua = LuaState.open()) {
            lua.register("deep", args -> recurse(0));
            try {
                lua.run("deep()", "deep");
                throw new AssertionError("deep() returned");
            } catch (LuaException e) {
                check(e.kind() == LuaException.Kind.JAVA, "kind " + e.kind());
                check(e.getCause() instanceof StackOverflowError, "cause " + e.getCause());
            }
            check(Long.valueOf(3).equals(lua.run("return 1 + 2")[0]), "state usable");
            System.out.println("stack overflow in a Java function reported");
        }
    }

    private static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    static void errorHandlersThatThrowErrors() throws Throwable {
        CallbackType type = CallbackType.of("int (*)(int)");
        Runnable[] throwers = {
                () -> { throw new Hostile(); },
                () -> { throw new StackOverflowError(); },
                () -> { throw new OutOfMemoryError("handler"); },
                () -> recurse(0),
        };
        for (Runnable thrower : throwers) {
            try (Callback callback = type.builder().fallback(-7).onError(e -> thrower.run())
                    .create("return function(x) if x < 0 then error('negative') end return x * 2 end")) {
                MethodHandle call = NativeCallers.downcall(callback);
                check((int) call.invokeExact(-1) == -7, "fallback");
                check((int) call.invokeExact(21) == 42, "next call");
                check(callback.errorCount() == 1, "errors " + callback.errorCount());
                check(callback.lastError().orElseThrow().luaMessage().contains("negative"), "last error");
            }
        }
        System.out.println("every handler survived");
    }

    static void errorHandlerCallsItsOwnCallback() throws Throwable {
        CallbackType type = CallbackType.of("int (*)(int)");
        AtomicInteger handled = new AtomicInteger();
        MethodHandle[] call = new MethodHandle[1];
        int[] inner = new int[2];
        try (Callback callback = type.builder().fallback(-1).onError(e -> {
            handled.incrementAndGet();
            try {
                inner[0] = (int) call[0].invokeExact(-5); // fails again: counted, the handler is not re-entered
                inner[1] = (int) call[0].invokeExact(5);  // and the callback itself serves the handler
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }).create("return function(x) if x < 0 then error('negative') end return x + 100 end")) {
            call[0] = NativeCallers.downcall(callback);
            check((int) call[0].invokeExact(-2) == -1, "fallback");
            check(handled.get() == 1, "handler ran " + handled.get() + " times");
            check(inner[0] == -1 && inner[1] == 105, "inner calls " + inner[0] + ", " + inner[1]);
            check(callback.errorCount() == 2, "errors " + callback.errorCount());
            check((int) call[0].invokeExact(1) == 101, "next call");
            // the handler runs again for the next failure: the bound is per report, not for good
            check((int) call[0].invokeExact(-3) == -1 && handled.get() == 2, "handler ran " + handled.get());
        }
        System.out.println("handler bounded");
    }

    @Test
    void shouldDescribeAnExceptionWhoseToStringThrows() {
        ChildJvm.run(UpcallErrorPathTest.class, "javaFunctionThrowsAnExceptionThatCannotBeDescribed")
                .assertPrinted("described as the class name");
    }

    @Test
    void shouldReportAStackOverflowInAJavaFunction() {
        ChildJvm.run(UpcallErrorPathTest.class, "javaFunctionRunsOutOfStack")
                .assertPrinted("stack overflow in a Java function reported");
    }

    @Test
    void shouldSurviveErrorHandlersThatThrowAnything() {
        ChildJvm.run(UpcallErrorPathTest.class, "errorHandlersThatThrowErrors").assertPrinted("every handler survived");
    }

    @Test
    void shouldNotReenterAnErrorHandlerThatCallsItsOwnCallback() {
        ChildJvm.run(UpcallErrorPathTest.class, "errorHandlerCallsItsOwnCallback").assertPrinted("handler bounded");
    }
}
