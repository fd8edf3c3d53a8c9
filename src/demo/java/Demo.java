import dev.ljasync.LuaException;
import dev.ljasync.LuaState;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/** A tour of lj-async for Java as it stands: one LuaState, values both ways, errors, bytecode, limits, threads. */
public class Demo {

    public static void main(String[] args) throws Exception {
        System.out.println("LuaJIT version: " + LuaState.luaJitVersion());

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
}
