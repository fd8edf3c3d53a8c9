package dev.ljasync;

import dev.ljasync.LuaState.Library;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a state holds against the code it runs: text-only loaders unless bytecode is asked for, no native code
 * through {@code package} unless asked for, the libraries the user chose and no others (in callbacks and threads
 * too), and {@code os.exit} as an error that Lua code cannot catch.
 */
@Timeout(60)
class SandboxTest {

    private static final String REFUSED = "attempt to load a binary chunk: this state loads Lua source only (LuaJIT"
            + " does not verify bytecode; LuaState.Builder.bytecode(true) allows it)";

    /** Writes a bytecode module and a source module into dir, then loads each through every loader of Lua. */
    private static final String EVERY_LOADER = """
            local dir = ...
            local dump = string.dump(function() return 42 end)
            local function write(name, content)
              local f = assert(io.open(dir .. "/" .. name .. ".lua", "wb"))
              f:write(content)
              f:close()
              return dir .. "/" .. name .. ".lua"
            end
            local binary, text = write("binarymodule", dump), write("textmodule", "return 42")
            package.path = dir .. "/?.lua"
            local function outcome(f, err)
              if f == nil then return err end
              return f()
            end
            local once = 0
            local function reader()
              once = once + 1
              if once == 1 then return dump end
            end
            local results = {
              outcome(load(dump)),
              outcome(load(dump, "name", "b")),
              outcome(loadstring(dump, "name", "bt")),
              outcome(load(reader)),
              outcome(loadfile(binary)),
              outcome(loadfile(binary, "b")),
              select(2, pcall(dofile, binary)),
              select(2, pcall(require, "binarymodule")),
              outcome(load("return 42")),
              outcome(loadfile(text)),
              dofile(text),
              require("textmodule"),
            }
            return unpack(results, 1, 12)""";

    @Test
    void shouldRefuseBytecodeThroughEveryLoaderOfLuaAndStillLoadSource(@TempDir Path dir) {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run(EVERY_LOADER, "loaders", dir.toString());
            String module = "error loading module 'binarymodule' from file '" + dir.resolve("binarymodule.lua")
                    + "':\n\t" + REFUSED;
            assertArrayEquals(new Object[] {REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, module,
                    42L, 42L, 42L, 42L}, results);
        }
    }

    @Test
    void shouldLoadBytecodeThroughEveryLoaderWhenTheBuilderAllowsIt(@TempDir Path dir) {
        try (LuaState lua = LuaState.builder().bytecode(true).open()) {
            Object[] results = lua.run(EVERY_LOADER, "loaders", dir.toString());
            assertArrayEquals(new Object[] {42L, 42L, 42L, 42L, 42L, 42L, 42L, 42L, 42L, 42L, 42L, 42L}, results);
        }
    }

    @Test
    void shouldRefuseBytecodeFromAnyCopyOfTheLoaders() {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run("""
                    local dump = string.dump(function() return 42 end)
                    local function refused(f, err) return f == nil and err or "loaded" end
                    return refused(package.loaded._G.load(dump)), refused(getfenv(0).loadstring(dump)),
                      refused(require("_G").load(dump, nil, "b", {})),
                      coroutine.wrap(function() return refused(load(dump)) end)()""");
            assertArrayEquals(new Object[] {REFUSED, REFUSED, REFUSED, REFUSED}, results);
        }
    }

    @Test
    void shouldRefuseABinaryChunkGivenAsTextAndRunOneGivenAsBytes() {
        try (LuaState lua = LuaState.open()) {
            byte[] bytecode = lua.compile("return 6 * 7", "answer");
            LuaException e = assertThrows(LuaException.class, () -> lua.run(new String(bytecode,
                    java.nio.charset.StandardCharsets.ISO_8859_1)));
            assertEquals(LuaException.Kind.SYNTAX, e.kind());
            assertArrayEquals(new Object[] {42L}, lua.run(bytecode, "answer"));
        }
    }

    @Test
    void shouldNotLetAFakeFfiHandBytecodeToTheModuleLoader() {
        try (LuaState lua = LuaState.open(Library.PACKAGE)) {
            byte[] fake = lua.compile("return 'a module of the Lua code'", "fake");
            LuaException e = assertThrows(LuaException.class, () -> lua.run("""
                    local fake = ...
                    package.loaded.ffi = {string = function() return fake end}
                    return require("ljasync.sync")""", "chunk", (Object) fake));
            assertEquals("module 'ljasync.sync' needs LuaJIT's ffi library, which this state did not open",
                    e.luaMessage());
        }
    }

    // ---- native code -------------------------------------------------------------------------------------------

    @Test
    void shouldLoadNoNativeCodeThroughThePackageLibrary() {
        try (LuaState lua = LuaState.open(Library.PACKAGE)) {
            Object[] results = lua.run("""
                    return package.loadlib, #package.loaders, pcall(require, "ffi")""");
            assertArrayEquals(new Object[] {null, 2L, false}, java.util.Arrays.copyOf(results, 3));
            assertTrue(((String) results[3]).startsWith("module 'ffi' not found:"), (String) results[3]);
        }
    }

    @Test
    void shouldNotHandOutFfiPointersThroughStringBufferWithoutTheFfi() {
        // buf:reserve() returns a uint8_t * cdata, and opens the FFI into package.loaded as it does
        try (LuaState lua = LuaState.open(Library.PACKAGE, Library.STRING)) {
            Object[] results = lua.run("return pcall(require, 'string.buffer')");
            assertEquals(false, results[0]);
            assertTrue(((String) results[1]).startsWith("module 'string.buffer' not found:"), (String) results[1]);
        }
        try (LuaState lua = LuaState.open(Library.PACKAGE, Library.STRING, Library.FFI)) {
            assertArrayEquals(new Object[] {"cdata"},
                    lua.run("return type(require('string.buffer').new():reserve(8))"));
        }
    }

    @Test
    void shouldLoadNativeCodeWhenTheBuilderAllowsIt() {
        try (LuaState lua = LuaState.builder().libraries(Library.PACKAGE).nativeModules(true).open()) {
            Object[] results = lua.run("""
                    local open = package.loadlib("libluajit-5.1.so.2", "luaopen_ffi")
                    return type(open), #package.loaders""");
            assertArrayEquals(new Object[] {"function", 4L}, results);
        }
    }

    // ---- the libraries chosen, and no others ---------------------------------------------------------------------

    /** A bit for each global that should not be there, and 512 for methods on strings. */
    private static final String VISIBLE = """
            local function visible()
              local seen = 0
              for i, name in ipairs({"require", "package", "string", "table", "jit", "debug", "io", "os", "bit"}) do
                if rawget(_G, name) ~= nil then seen = seen + 2 ^ (i - 1) end
              end
              if getmetatable("") ~= nil then seen = seen + 512 end
              return seen
            end
            """;

    @Test
    void shouldOpenOnlyTheChosenLibrariesInAState() {
        try (LuaState lua = LuaState.open(Library.MATH)) {
            assertArrayEquals(new Object[] {0L}, lua.run(VISIBLE + "return visible()"));
        }
    }

    @Test
    void shouldOpenOnlyTheChosenLibrariesInACallbackWhoseCodeStillWorks() throws Throwable {
        try (Callback cb = CallbackType.of("int (*)(int)").builder()
                .stateOptions(LuaState.builder().libraries(Library.MATH))
                .create(VISIBLE + "return function(x) return visible() + x end")) {
            assertEquals(7, (int) NativeCallers.downcall(cb).invokeExact(7));
        }
    }

    @Test
    void shouldKeepTheLibrarysFfiPrivateInACallbackWithPackage() throws Throwable {
        try (Callback cb = CallbackType.of("int (*)(int)").builder()
                .stateOptions(LuaState.builder().libraries(Library.PACKAGE))
                .create("""
                        local found = pcall(require, "ffi")
                        local preloaded = package.preload["table.new"] or package.preload["jit.util"]
                        return function(x) return (found and 1 or 0) + (preloaded and 2 or 0) + x end""")) {
            assertEquals(10, (int) NativeCallers.downcall(cb).invokeExact(10));
        }
    }

    @Test
    void shouldCancelAThreadWhoseStateHasNoJitNorDebugLibrary() throws Exception {
        LuaState.Builder bare = LuaState.builder().libraries();
        // level 2 is the library's function that calls the thread's: its environment is neither shown nor changed
        try (LuaThread thread = LuaThread.builder().cancellable(true).stateOptions(bare)
                .start("return function() assert(getfenv(2) == _G) setfenv(2, {}) end", MemorySegment.NULL)) {
            assertTrue(thread.join(Duration.ofSeconds(10)));
            assertEquals(LuaThread.Status.FAILED, thread.status());
            assertTrue(thread.error().orElseThrow().getMessage()
                    .contains("the environment of the library's own functions cannot be changed"),
                    thread.error().orElseThrow().getMessage());
        }
        try (LuaThread thread = LuaThread.builder().cancellable(true).stateOptions(bare)
                .start("return function() while true do end end", MemorySegment.NULL)) {
            assertFalse(thread.join(Duration.ofMillis(50)), "the thread ended early: " + thread.error());
            thread.cancel();
            assertTrue(thread.join(Duration.ofSeconds(10)));
            assertEquals(LuaThread.Status.CANCELLED, thread.status());
        }
    }

    @Test
    void shouldEnforceTheMemoryLimitOfACallbacksState() throws Throwable {
        try (Callback cb = CallbackType.of("int (*)(int)").builder().fallback(-1).onError(e -> {})
                .stateOptions(LuaState.builder().memoryLimit(16 << 20))
                .create("return function(n) local t = {} for i = 1, n do t[i] = {} end return #t end")) {
            assertEquals(1000, (int) NativeCallers.downcall(cb).invokeExact(1000));
            assertEquals(-1, (int) NativeCallers.downcall(cb).invokeExact(10_000_000));
            assertEquals(LuaException.Kind.MEMORY, cb.lastError().orElseThrow().kind());
        }
    }

    // ---- os.exit ---------------------------------------------------------------------------------------------------

    private static LuaException exit(LuaState lua, String source) {
        LuaException e = assertThrows(LuaException.class, () -> lua.run(source));
        assertEquals(LuaException.Kind.EXIT, e.kind(), e::getMessage);
        return e;
    }

    @Test
    void shouldGiveTheCodeOfEveryFormOfOsExit() {
        try (LuaState lua = LuaState.open()) {
            LuaException seven = exit(lua, "os.exit(7)");
            assertEquals("chunk:1: os.exit(7) ends this Lua code, not the process", seven.luaMessage());
            assertEquals(1, seven.line());
            assertEquals(OptionalInt.of(7), seven.exitCode());
            assertEquals(OptionalInt.of(0), exit(lua, "os.exit()").exitCode());
            assertEquals(OptionalInt.of(0), exit(lua, "os.exit(true)").exitCode());
            assertEquals(OptionalInt.of(1), exit(lua, "os.exit(false)").exitCode());
            assertEquals(OptionalInt.of(9), exit(lua, "os.exit('9')").exitCode());
            assertEquals(OptionalInt.of(-2), exit(lua, "os.exit(-2)").exitCode());
            LuaException bad = assertThrows(LuaException.class, () -> lua.run("os.exit({})"));
            assertEquals(LuaException.Kind.RUNTIME, bad.kind());
            assertEquals("chunk:1: bad argument #1 to 'exit' (number expected, got table)", bad.luaMessage());
            assertEquals(OptionalInt.empty(), bad.exitCode());
            assertEquals("chunk:1: bad argument #1 to 'exit' (the exit code does not fit an int)",
                    assertThrows(LuaException.class, () -> lua.run("os.exit(0/0)")).luaMessage());
        }
    }

    @Test
    void shouldNotLetLuaCodeCatchOsExit() {
        try (LuaState lua = LuaState.open()) {
            assertEquals(OptionalInt.of(2), exit(lua, "pcall(os.exit, 2) return 'caught'").exitCode());
            assertEquals(OptionalInt.of(3), exit(lua, """
                    xpcall(function() os.exit(3) end, function(e) return "handled" end)
                    return 'caught'""").exitCode());
            assertEquals(OptionalInt.of(7), exit(lua, """
                    xpcall(error, function(e) os.exit(7) end)
                    return 'caught'""").exitCode());
            assertEquals(OptionalInt.of(4), exit(lua, """
                    coroutine.resume(coroutine.create(function() os.exit(4) end))
                    return 'caught'""").exitCode());
            assertEquals(OptionalInt.of(5), exit(lua, """
                    pcall(coroutine.wrap(function() os.exit(5) end))
                    return 'caught'""").exitCode());
            assertEquals(OptionalInt.of(6), exit(lua, "load(function() os.exit(6) end) return 'caught'").exitCode());
            // the state goes on, and errors after an exit are what they are
            assertArrayEquals(new Object[] {false, "boom"}, lua.run("return pcall(error, 'boom', 0)"));
            assertEquals(LuaException.Kind.RUNTIME, assertThrows(LuaException.class,
                    () -> lua.run("error('after')")).kind());
        }
    }

    @Test
    void shouldLeavePcallXpcallAndResumeAsTheyWereForOtherErrors() {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run("""
                    local ok, sum = xpcall(function(a, b) return a + b end, print, 1, 2)
                    local _, handled = xpcall(function() error("x", 0) end, function(e) return e .. "!" end)
                    local _, bad = pcall(xpcall, print, 42)
                    local _, resumed = coroutine.resume(coroutine.create(function() error("co", 0) end))
                    return ok, sum, handled, bad, resumed, select("#", pcall(function() return 1, nil, 3 end))""");
            assertArrayEquals(new Object[] {true, 3L, "x!",
                    "bad argument #2 to 'xpcall' (function expected, got number)", "co", 4L}, results);
        }
    }

    @Test
    void shouldReportBadArgumentsOfTheReplacedFunctionsAsLuaJitDoes() {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run("""
                    local function message(f, ...) return select(2, pcall(function(...) local r = f(...) end, ...)) end
                    return message(xpcall, print, 42), message(load, nil), message(loadstring, {}),
                      message(load, "x", {}), message(loadfile, {}), message(dofile, {}), message(pcall),
                      message(getfenv, {}), message(getfenv, 100), message(setfenv, 100, {}),
                      message(setfenv, rawequal, {}), message(coroutine.resume, 1), message(os.exit, {})""",
                    "args");
            assertArrayEquals(new Object[] {
                    "args:1: bad argument #2 to 'xpcall' (function expected, got number)",
                    "args:1: bad argument #1 to 'load' (function expected, got nil)",
                    "args:1: bad argument #1 to 'loadstring' (function expected, got table)",
                    "args:1: bad argument #2 to 'load' (string expected, got table)",
                    "args:1: bad argument #1 to 'loadfile' (string expected, got table)",
                    "args:1: bad argument #1 to 'dofile' (string expected, got table)",
                    "args:1: bad argument #1 to 'pcall' (value expected)",
                    "args:1: bad argument #1 to 'getfenv' (number expected, got table)",
                    "args:1: bad argument #1 to 'getfenv' (invalid level)",
                    "args:1: bad argument #1 to 'setfenv' (invalid level)",
                    "args:1: 'setfenv' cannot change environment of given object",
                    "args:1: bad argument #1 to 'resume' (coroutine expected)",
                    "args:1: bad argument #1 to 'exit' (number expected, got table)"}, results);
            // and levels count from the caller, as before
            assertArrayEquals(new Object[] {true, true, 7L}, lua.run("""
                    local getfenv, setfenv, G, env = getfenv, setfenv, _G, {x = 7}
                    local function f() setfenv(1, env) return getfenv(1) == env, getfenv(2) == G, x end
                    local same, global, x = f() -- not a tail call: level 2 of f is this chunk
                    return same, global, x"""));
        }
    }

    @Test
    void shouldLoadFromAReaderFunctionAsLuaJitDoes() {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run("""
                    local pieces, i = {"return ", 4, "0 + ", "2", ""}, 0
                    local f = load(function() i = i + 1 return pieces[i] end, "=pieces")
                    local _, raised = load(function() error("reader failed", 0) end)
                    local _, wrong = load(function() return {} end)
                    local _, syntax = load(function() i = i + 1 return i < 8 and "x" or nil end)
                    return f(), raised, wrong, syntax""");
            // the reader's own error, without the traceback that the message handler of the call from Java adds
            assertArrayEquals(new Object[] {42L, "reader failed", "reader function must return a string",
                    "(load):1: '=' expected near '<eof>'"}, results);
        }
    }

    @Test
    void shouldReportOsExitInACallbackToItsErrorHandler() throws Throwable {
        try (Callback cb = CallbackType.of("int (*)(int)").builder().fallback(-1).onError(e -> {})
                .create("return function(x) if x < 0 then os.exit(-x) end return x end")) {
            assertEquals(-1, (int) NativeCallers.downcall(cb).invokeExact(-4));
            LuaException e = cb.lastError().orElseThrow();
            assertEquals(LuaException.Kind.EXIT, e.kind());
            assertEquals(OptionalInt.of(4), e.exitCode());
            assertEquals(5, (int) NativeCallers.downcall(cb).invokeExact(5));
        }
    }
}
