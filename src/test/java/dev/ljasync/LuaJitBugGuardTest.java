package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/** Guards against LuaJIT bugs of the shipped build that crash the process from plain Lua code. */
@Timeout(120)
class LuaJitBugGuardTest {

    /**
     * LuaJIT issue 946: an ffi.gc finalizer that cannot be called fails in a collector step on the exit from a
     * compiled trace, and that error crashes the process.
     */
    static void uncallableFfiFinalizerInACompiledLoop() {
        try (LuaState lua = LuaState.open()) {
            Object[] result = lua.run("""
                    local ffi = require('ffi')
                    local function test()
                      collectgarbage('collect')
                      collectgarbage('setstepmul', 400)
                      for _ = 1, 200 do ffi.gc(ffi.new('char [?]', 1024), 'uncallable string') end
                    end
                    jit.opt.start('hotloop=1')
                    local ok, e = pcall(test)
                    collectgarbage('setstepmul', 200)
                    return ok, e""", "gc");
            if (!Boolean.FALSE.equals(result[0])
                    || !"gc:5: bad argument #2 to 'gc' (a finalizer must be callable, not a string)".equals(result[1])) {
                throw new AssertionError("ffi.gc gave " + result[0] + ", " + result[1]);
            }
            System.out.println("uncallable finalizer refused");
        }
    }

    @Test
    void shouldRefuseAnFfiFinalizerThatCannotBeCalled() {
        ChildJvm.run(LuaJitBugGuardTest.class, "uncallableFfiFinalizerInACompiledLoop")
                .assertPrinted("uncallable finalizer refused");
    }

    @Test
    void shouldKeepFfiFinalizersThatCanBeCalled() {
        try (LuaState lua = LuaState.open()) {
            assertEquals(3L, lua.run("""
                    local ffi = require('ffi')
                    ffi.cdef('void *malloc(size_t); void free(void *);')
                    local n = 0
                    local counter = setmetatable({}, {__call = function() n = n + 1 end})
                    ffi.gc(ffi.C.malloc(16), ffi.C.free)
                    ffi.gc(ffi.new('int[1]'), function() n = n + 1 end)
                    ffi.gc(ffi.new('int[1]'), counter)
                    local kept = ffi.gc(ffi.new('int[1]'), function() n = n + 1 end)
                    ffi.gc(kept, nil) -- removes the finalizer
                    collectgarbage() collectgarbage()
                    return n + 1""")[0]);
        }
    }
}
