package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Lua code that works against the conversions and references, each in a child JVM: a crash is a red test with its
 * exit status, not a dead build.
 */
@Timeout(200)
class ValuesHostileTest {

    /**
     * Finalizers that add keys to a table (so it is rehashed) run at any allocation: the copy of that table reads it
     * with lua_next, and int64 cdata in it are read by Lua code, which allocates. No finalizer may run then.
     */
    static void finalizersChangeATableWhileItIsCopied() {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    local ffi = require("ffi")
                    t = {}
                    for i = 1, 200 do t["k" .. i] = ffi.new("int64_t", i) end
                    local n = 0
                    function garbage()
                      for i = 1, 300 do
                        local p = newproxy(true)
                        getmetatable(p).__gc = function()
                          for k = 1, 64 do n = n + 1 t["added" .. n] = n t["added" .. (n - 64)] = nil end
                        end
                      end
                    end""");
            for (int round = 0; round < 200; round++) {
                lua.run("garbage()");
                LuaTable copy = (LuaTable) lua.get("t");
                for (long i = 1; i <= 200; i++) {
                    if (!Long.valueOf(i).equals(copy.get("k" + i))) {
                        throw new AssertionError("round " + round + ": k" + i + " is " + copy.get("k" + i));
                    }
                }
            }
            System.out.println("copies intact");
        }
    }

    /** A thread using a reference while the state closes under it: an IllegalStateException, never a crash. */
    static void aReferenceUsedWhileItsStateCloses() throws Exception {
        LuaState lua = LuaState.open();
        LuaValue f = (LuaValue) lua.run("local t = {} return function(k) t[k] = {k} return #t end")[0];
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread user = Thread.ofPlatform().start(() -> {
            try {
                for (long i = 1; ; i++) {
                    f.call(i);
                    f.toJava();
                }
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        Thread.sleep(100);
        lua.close();
        user.join(10_000);
        if (!(ended.get() instanceof IllegalStateException e) || !e.getMessage().contains("closed")) {
            throw new AssertionError("the user ended with " + ended.get());
        }
        System.out.println("refused after close");
    }

    @Test
    void finalizersThatChangeATableDuringItsCopyChangeNothingInTheCopy() {
        ChildJvm.run(ValuesHostileTest.class, "finalizersChangeATableWhileItIsCopied").assertPrinted("copies intact");
    }

    @Test
    void aReferenceInUseWhenItsStateClosesIsRefusedAfterwards() {
        ChildJvm.run(ValuesHostileTest.class, "aReferenceUsedWhileItsStateCloses").assertPrinted("refused after close");
    }
}
