import dev.ljasync.Callback;
import dev.ljasync.CallbackType;
import dev.ljasync.Channel;
import dev.ljasync.JavaObject;
import dev.ljasync.LuaException;
import dev.ljasync.LuaState;
import dev.ljasync.LuaTable;
import dev.ljasync.LuaValue;
import dev.ljasync.LuaThread;
import dev.ljasync.Mutex;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.*;

/**
 * A tour of lj-async for Java: Lua functions behind C function pointers called by native code and by many threads,
 * then one LuaState with values both ways, errors, bytecode and limits, then hostile Lua code that cannot take the
 * JVM down.
 */
public class Demo {

    public static void main(String[] args) throws Throwable {
        System.out.println("LuaJIT version: " + LuaState.luaJitVersion());
        callbacks();
        threads();
        sharing();
        luaState();
        valueModel();
        hostileCode();
    }

    /** Tables, references, Java objects and interfaces, coroutines and output, under the one conversion rule. */
    public interface Greeter {
        String greet(String name);
    }

    private static void valueModel() {
        System.out.println("\n== tables, references, Java objects, coroutines ==");
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            LuaTable t = (LuaTable) lua.run("return {10, 20, 30, name = 'nums'}")[0];
            System.out.println("  a table copies to a Map: " + t);
            lua.set("config", Map.of("sizes", List.of(1, 2, 3)));
            System.out.println("  a Map goes in as a table: #config.sizes = " + lua.run("return #config.sizes")[0]);
            LuaValue counter = (LuaValue) lua.run("local n = 0 return function(k) n = n + k return n end")[0];
            counter.call(5);
            System.out.println("  a closure held from Java keeps its state: " + counter.call(5)[0]);
            Greeter greeter = ((LuaValue) lua.run("return function(name) return 'hello, ' .. name end")[0])
                    .proxy(Greeter.class);
            System.out.println("  a Lua function as a Java interface: " + greeter.greet("Java"));
            StringBuilder java = new StringBuilder("built in Java");
            Object length = lua.run("local sb = ... sb:append(', used in Lua') return sb:length()", "objects",
                    JavaObject.of(java, StringBuilder.class))[0];
            System.out.println("  a Java object's methods from Lua: \"" + java + "\" (" + length + " chars)");
            LuaValue co = lua.coroutine((LuaValue) lua.run("return function() for i = 1, 3 do coroutine.yield(i * i)"
                    + " end end")[0]);
            System.out.println("  a coroutine resumed from Java: " + co.resume()[0] + " " + co.resume()[0] + " "
                    + co.resume()[0]);
            lua.run("print('print goes to a Java sink', 42)");
        }
        System.out.println("  captured output: " + lines);
    }

    /** Callbacks: a C signature string, a Lua function, a function pointer that native code calls. */
    private static void callbacks() throws Throwable {
        Linker linker = Linker.nativeLinker();

        // libc's qsort sorts 200,000 ints with a comparator written in Lua.
        System.out.println("\n== qsort with a Lua comparator ==");
        MethodHandle qsort = linker.downcallHandle(linker.defaultLookup().find("qsort").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        CallbackType comparator = CallbackType.of("int (*)(const void *a, const void *b)");
        int[] numbers = new Random(1).ints(200_000, -1_000_000, 1_000_000).toArray();
        try (Arena arena = Arena.ofConfined();
             Callback compare = comparator.create("""
                     local ffi = require("ffi")
                     return function(a, b)
                       local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
                       return x < y and -1 or (x > y and 1 or 0)
                     end""")) {
            MemorySegment array = arena.allocateFrom(JAVA_INT, numbers);
            long started = System.nanoTime();
            qsort.invokeExact(array, (long) numbers.length, JAVA_INT.byteSize(), compare.funcptr());
            long millis = (System.nanoTime() - started) / 1_000_000;
            int[] sorted = array.toArray(JAVA_INT);
            Arrays.sort(numbers);
            System.out.println("  type " + comparator + ", " + numbers.length + " ints sorted in " + millis
                    + " ms, same as Arrays.sort: " + Arrays.equals(sorted, numbers));
        }

        // One pointer, four threads at once: a pool of states runs the calls in parallel, nothing is shared.
        System.out.println("\n== one function pointer, four threads ==");
        CallbackType scale = CallbackType.of("double (*)(int64_t)");
        try (Callback square = scale.builder().states(2).create("""
                local factor = ...
                return function(n) return tonumber(n) * tonumber(n) * factor end""", 0.5)) {
            MethodHandle call = linker.downcallHandle(square.funcptr(), scale.descriptor());
            int perThread = 250_000;
            AtomicLong total = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().name("caller-" + t).start(() -> {
                    double sum = 0;
                    for (long n = 1; n <= perThread; n++) {
                        try {
                            sum += (double) call.invokeExact(n);
                        } catch (Throwable e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    total.addAndGet((long) sum);
                }));
            }
            for (Thread thread : threads) {
                if (!thread.join(Duration.ofSeconds(120))) {
                    throw new IllegalStateException(thread.getName() + " did not finish");
                }
            }
            long n = perThread;
            System.out.println("  " + square + ": 4 x " + perThread + " calls, sum = " + total.get() + " (expected "
                    + 4 * (n * (n + 1) * (2 * n + 1) / 6 / 2) + "), errors: " + square.errorCount());
        }

        // A Lua error inside a callback: the native caller gets the fallback, Java gets the error and traceback.
        System.out.println("\n== a Lua error in a callback ==");
        CallbackType parse = CallbackType.of("int (*)(const char *text)");
        try (Arena arena = Arena.ofConfined();
             Callback toNumber = parse.builder().name("parse").fallback(-1).onError(e -> {}).create("""
                     local ffi = require("ffi")
                     local function parse(text)
                       return tonumber(text) or error("not a number: '" .. text .. "'")
                     end
                     return function(text)
                       return parse(ffi.string(text))
                     end""")) {
            MethodHandle call = linker.downcallHandle(toNumber.funcptr(), parse.descriptor());
            int bad = (int) call.invokeExact(arena.allocateFrom("forty-two"));
            int good = (int) call.invokeExact(arena.allocateFrom("42"));
            LuaException e = toNumber.lastError().orElseThrow();
            System.out.println("  \"forty-two\" -> " + bad + " (the fallback); \"42\" -> " + good);
            System.out.println("  error: " + e.luaMessage());
            System.out.println("  " + e.traceback().replace("\n", "\n  "));
        }
    }

    /** LuaThreads: each runs Lua in a state of its own; joins with timeouts, results, errors, cancellation. */
    private static void threads() throws Throwable {
        System.out.println("\n== four threads counting primes, joined with a timeout ==");
        String primes = """
                local ffi = require("ffi")
                return function(range)
                  local from, to = ffi.cast("int64_t *", range)[0], ffi.cast("int64_t *", range)[1]
                  local count = 0
                  for n = math.max(2, tonumber(from)), tonumber(to) do
                    local prime = true
                    for d = 2, math.floor(math.sqrt(n)) do
                      if n % d == 0 then prime = false break end
                    end
                    if prime then count = count + 1 end
                  end
                  return count
                end""";
        try (Arena arena = Arena.ofShared()) {
            List<LuaThread> workers = new ArrayList<>();
            long step = 500_000;
            for (int t = 0; t < 4; t++) {
                MemorySegment range = arena.allocateFrom(JAVA_LONG, t * step, (t + 1) * step - 1);
                workers.add(LuaThread.builder().name("primes-" + t).nativeThread(t % 2 == 1).start(primes, range));
            }
            long total = 0;
            for (int t = 0; t < workers.size(); t++) {
                LuaThread worker = workers.get(t);
                if (!worker.join(Duration.ofSeconds(60))) {
                    throw new IllegalStateException(worker + " did not finish within 60 s");
                }
                System.out.println("  " + worker.name() + (t % 2 == 1 ? " (pthread)" : " (platform thread)") + ": "
                        + worker.result() + " primes");
                total += (Long) worker.result();
                worker.close();
            }
            System.out.println("  primes below " + 4 * step + ": " + total + " (expected 148933)");

            // A thread that waits for Java: the first join times out, the second returns.
            MemorySegment go = arena.allocate(JAVA_INT);
            try (LuaThread waiter = LuaThread.start("""
                    local ffi = require("ffi")
                    ffi.cdef("int usleep(unsigned int usec);")
                    return function(flag)
                      flag = ffi.cast("volatile int *", flag)
                      while flag[0] == 0 do ffi.C.usleep(1000) end
                      return flag[0]
                    end""", go)) {
                boolean early = waiter.join(Duration.ofMillis(100));
                JAVA_INT.varHandle().setVolatile(go, 0L, 7);
                boolean late = waiter.join(Duration.ofSeconds(10));
                System.out.println("\n== join with a timeout ==");
                System.out.println("  join(100 ms) before the flag: " + early + "; after: " + late
                        + ", result " + waiter.result());
            }
        }

        // An endless loop, cancelled; an error, kept with its traceback.
        try (LuaThread spinner = LuaThread.builder().cancellable(true).start(
                     "return function() while true do end end", MemorySegment.NULL);
             LuaThread broken = LuaThread.builder().name("broken").start("""
                     return function()
                       local config = nil
                       return config.size
                     end""", MemorySegment.NULL)) {
            Thread.sleep(100);
            long asked = System.nanoTime();
            spinner.cancel();
            spinner.join(Duration.ofSeconds(5));
            broken.join(Duration.ofSeconds(5));
            System.out.println("\n== cancel and errors ==");
            System.out.println("  endless loop: " + spinner.status() + " " + (System.nanoTime() - asked) / 1_000
                    + " us after cancel()");
            System.out.println("  broken: " + broken.status() + ", " + broken.error().orElseThrow().luaMessage());
        }
    }

    /** Threads sharing work through channels, and a counter in native memory under a mutex. */
    private static void sharing() throws Throwable {
        System.out.println("\n== four Lua threads and Java sharing work through channels and a mutex ==");
        Mutex mutex = new Mutex();
        Channel jobs = new Channel(64); // bounded: Java waits when the workers fall behind
        try (Arena arena = Arena.ofShared(); Channel results = new Channel()) {
            MemorySegment done = arena.allocate(JAVA_LONG); // jobs finished, counted under the mutex
            String worker = """
                    local ffi, sync = require("ffi"), require("ljasync.sync")
                    local jobs, results, mutex = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                    return function(done)
                      done = ffi.cast("int64_t *", done)
                      local mine = 0
                      while true do
                        local job, err = jobs:receive()
                        if err == "closed" then return mine end
                        local words = {}
                        for word in job.text:gmatch("%a+") do words[#words + 1] = word:upper() end
                        results:send({id = job.id, words = #words, shout = table.concat(words, " ")})
                        mutex:lock()
                        done[0] = done[0] + 1
                        mutex:unlock()
                        mine = mine + 1
                      end
                    end""";
            List<LuaThread> workers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                workers.add(LuaThread.builder().name("worker-" + i).start(worker, done, jobs, results, mutex));
            }
            int count = 1000;
            for (int id = 1; id <= count; id++) {
                jobs.send(Map.of("id", id, "text", "job number " + id + " for the lua workers"));
            }
            jobs.close();
            long words = 0;
            Map<?, ?> last = null;
            for (int i = 0; i < count; i++) {
                last = (Map<?, ?>) results.receive(Duration.ofSeconds(30));
                words += (Long) last.get("words");
            }
            StringBuilder shares = new StringBuilder();
            for (LuaThread w : workers) {
                if (!w.join(Duration.ofSeconds(30))) {
                    throw new IllegalStateException(w + " did not finish");
                }
                shares.append(shares.isEmpty() ? "" : ", ").append(w.name()).append(' ').append(w.result());
                w.close();
            }
            System.out.println("  " + count + " jobs, " + words + " words (expected " + 6 * count + "); done counter "
                    + done.get(JAVA_LONG, 0) + " under the mutex");
            System.out.println("  jobs per worker: " + shares);
            System.out.println("  a result: " + last);
        }
    }

    /** One LuaState driven from Java. */
    private static void luaState() throws InterruptedException {
        try (LuaState lua = LuaState.open()) {
            // Arguments become the chunk's "...", results come back as Java values.
            byte[] bytes = {'A', 0, (byte) 0xFF}; // a NUL, and a byte that is not UTF-8, so it stays byte[]
            Object[] r = lua.run("""
                    local n, x, s, b, flag, none = ...
                    return n + 1, x * 2, s .. "!", b, #b, not flag, none
                    """, "values", 41L, 1.25, "hello", bytes, true, null);
            String[] labels = {"n + 1", "x * 2", "s .. \"!\"", "b", "#b", "not flag", "none"};
            System.out.println("\n== values (chunk results) ==");
            for (int i = 0; i < r.length; i++) {
                System.out.printf("  %-9s -> %s%n", labels[i], describe(r[i]));
            }

            // A Java function in a module table, called from Lua.
            lua.register("demo.sum", a -> {
                long sum = 0;
                for (Object v : a) {
                    sum += (Long) v;
                }
                return sum;
            });
            System.out.println("\n== Java function called from Lua ==");
            System.out.println("  demo.sum(1, 2, 3, 4) = " + lua.run("return demo.sum(1, 2, 3, 4)")[0]);

            // A Lua error becomes a LuaException; the state stays usable.
            System.out.println("\n== Lua error as LuaException ==");
            try {
                lua.run("""
                        local function size(config)
                          return config.size
                        end
                        return size(nil) + 1
                        """, "broken");
            } catch (LuaException e) {
                System.out.println("  kind: " + e.kind() + ", chunk: " + e.chunkName() + ", line: " + e.line());
                System.out.println("  message: " + e.luaMessage());
                System.out.println("  traceback: " + e.traceback().replace("\n", "\n  "));
            }

            // A Java exception is a Lua error that Lua code may catch with pcall.
            lua.register("demo.fail", a -> {
                throw new IllegalStateException("disk full");
            });
            Object[] caught = lua.run("return pcall(demo.fail)");
            System.out.println("\n== Java exception caught by pcall ==");
            System.out.println("  ok: " + caught[0] + ", error: " + caught[1]);

            // Bytecode made by one state, run by another.
            byte[] bytecode = lua.compile("local a, b = ... return a * b", "mul");
            try (LuaState second = LuaState.open()) {
                System.out.println("\n== bytecode in a second state ==");
                System.out.println("  " + bytecode.length + " bytes, starting ESC '" + new String(bytecode, 1, 2,
                        StandardCharsets.US_ASCII) + "'; mul(6, 7) = " + second.run(bytecode, "mul", 6, 7)[0]);
            }

            // LuaJIT's FFI, from Lua: libc's strlen through ffi.C.
            Object[] len = lua.run("""
                    local ffi = require("ffi")
                    ffi.cdef("size_t strlen(const char *s);")
                    return tonumber(ffi.C.strlen(...))
                    """, "ffi", "lj-async");
            System.out.println("\n== LuaJIT FFI ==");
            System.out.println("  ffi.C.strlen(\"lj-async\") = " + len[0]);

            // Two Java threads on one state: calls are serialized, so no increment is lost.
            lua.run("counter = 0; function bump() counter = counter + 1 end");
            int perThread = 50_000;
            Runnable work = () -> {
                for (int i = 0; i < perThread; i++) {
                    lua.call("bump");
                }
            };
            Thread t1 = Thread.ofPlatform().name("demo-1").start(work);
            Thread t2 = Thread.ofPlatform().name("demo-2").start(work);
            if (!t1.join(Duration.ofSeconds(60)) || !t2.join(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the threads did not finish within 60 s");
            }
            System.out.println("\n== two threads, one state ==");
            System.out.println("  counter = " + lua.get("counter") + " (expected " + 2 * perThread + ")");
        }

        // A memory limit stops a runaway allocation with Kind.MEMORY; the state survives it.
        try (LuaState small = LuaState.builder().memoryLimit(4L << 20).open()) {
            System.out.println("\n== memory limit (4 MiB) ==");
            try {
                small.run("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end");
            } catch (LuaException e) {
                System.out.println("  kind: " + e.kind() + ", message: " + e.luaMessage());
            }
            System.out.println("  afterwards: 1 + 1 = " + small.run("return 1 + 1")[0]);
        }
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null (nil)";
        }
        String text = v instanceof byte[] b ? Arrays.toString(b) : v.toString();
        return v.getClass().getSimpleName() + " " + text;
    }

    /** Hostile Lua code: each of these once ended the JVM or held its caller forever; now each is an exception. */
    private static void hostileCode() throws Throwable {
        System.out.println("\n== hostile Lua code ==");
        // recursion through a C function that calls back into Lua, on a thread with a 256 KB stack
        Thread small = Thread.ofPlatform().stackSize(256 * 1024).unstarted(() -> {
            try (LuaState lua = LuaState.open()) {
                lua.run("local function f() table.sort({3, 2, 1}, function(a, b) f() return a < b end) end f()");
            } catch (LuaException e) {
                System.out.println("  table.sort recursion on 256 KB: " + e.kind() + ", " + e.luaMessage());
            }
        });
        small.start();
        small.join();
        try (LuaState sandbox = LuaState.open(LuaState.Library.BASE, LuaState.Library.PACKAGE,
                LuaState.Library.STRING)) {
            Object[] escape = sandbox.run("return type(package.loadlib), select(2, load(string.dump(print)))");
            System.out.println("  a sandbox's package.loadlib: " + escape[0] + "; bytecode: " + escape[1]);
        } catch (LuaException e) {
            System.out.println("  sandbox: " + e.luaMessage());
        }
        try (LuaState lua = LuaState.open()) {
            lua.run("os.exit(3)");
        } catch (LuaException e) {
            System.out.println("  os.exit(3): " + e.kind() + " " + e.exitCode().orElseThrow() + ", the JVM goes on");
        }
        try (LuaState lua = LuaState.builder().timeLimit(Duration.ofMillis(100)).open()) {
            lua.run("while true do pcall(function() end) end");
        } catch (LuaException e) {
            System.out.println("  while true do end under a 100 ms limit: " + e.kind());
        }
    }
}
