package example.consumer;

import dev.ljasync.Callback;
import dev.ljasync.CallbackType;
import dev.ljasync.Channel;
import dev.ljasync.LuaState;
import dev.ljasync.LuaThread;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** A callback handed to libc's qsort, a LuaThread, and a Channel between the thread and Java. */
public final class Main {
    public static void main(String[] args) throws Throwable {
        Module module = Main.class.getModule();
        System.out.println("running " + (module.isNamed() ? "on the module path as " + module.getName()
                : "on the class path") + " with " + LuaState.luaJitVersion());

        CallbackType comparator = CallbackType.of("int (*)(const void *a, const void *b)");
        try (Arena arena = Arena.ofConfined();
             Callback descending = comparator.create("""
                     local ffi = require("ffi")
                     return function(a, b)
                       return ffi.cast("const int *", b)[0] - ffi.cast("const int *", a)[0]
                     end""")) {
            Linker linker = Linker.nativeLinker();
            MethodHandle qsort = linker.downcallHandle(linker.defaultLookup().find("qsort").orElseThrow(),
                    FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
            MemorySegment numbers = arena.allocateFrom(JAVA_INT, 4, 8, 15, 16, 23, 42);
            qsort.invokeExact(numbers, 6L, JAVA_INT.byteSize(), descending.funcptr());
            System.out.println("qsort: " + Arrays.toString(numbers.toArray(JAVA_INT)));
        }

        try (Channel squares = new Channel(4);
             LuaThread producer = LuaThread.start("""
                     local sync = require("ljasync.sync")
                     local out = sync.wrap((...))
                     return function()
                       for i = 1, 5 do out:send(i * i) end
                       out:close()
                     end""", MemorySegment.NULL, squares)) {
            long sum = 0;
            for (int i = 0; i < 5; i++) {
                sum += (Long) squares.receive(Duration.ofSeconds(10));
            }
            boolean ended = producer.join(Duration.ofSeconds(10));
            System.out.println("thread: " + (ended ? producer.status() : "still running") + ", sum of squares " + sum
                    + ", channel " + (squares.isClosed() ? "closed" : "open"));
        }
    }
}
