package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** require finds modules that Java gives: tables of Java functions, resources and source from a loader function. */
@Timeout(60)
class JavaModulesTest {

    private static final ClassLoader RESOURCES = JavaModulesTest.class.getClassLoader();

    private static Map<String, JavaFunction> util() {
        Map<String, JavaFunction> functions = new LinkedHashMap<>();
        functions.put("add", args -> (Long) args[0] + (Long) args[1]);
        functions.put("fail", args -> {
            throw new IllegalStateException("no " + args[0]);
        });
        return functions;
    }

    @Test
    void shouldGiveATableOfJavaFunctions() {
        try (LuaState lua = LuaState.builder().module("app.util", util()).open()) {
            Object[] r = lua.run("""
                    local util = require("app.util")
                    return util.add(2, 3), require("app.util") == util, package.loaded["app.util"] == util""");
            assertArrayEquals(new Object[] {5L, true, true}, r);
            LuaException e = assertThrows(LuaException.class, () -> lua.run("""
                    local util = require("app.util")
                    util.fail("luck")""", "caller"));
            assertEquals("caller:2: Java function 'app.util.fail' threw java.lang.IllegalStateException: no luck",
                    e.luaMessage());
        }
    }

    @Test
    void shouldLoadLuaModulesFromResources() {
        try (LuaState lua = LuaState.builder().modules(RESOURCES, "mods").open()) {
            assertArrayEquals(new Object[] {"hello, lua", "greet", "init", "sub", true}, lua.run("""
                    local greet, pkg = require("greet"), require("pkg")
                    return greet.hello("lua"), greet.name, pkg.kind, pkg.sub.kind, require("pkg.sub") == pkg.sub"""));
        }
        // the folder's slashes are optional, and the top of the class path is the folder ""
        try (LuaState lua = LuaState.builder().modules(RESOURCES, "/mods/").modules(RESOURCES, "").open()) {
            assertArrayEquals(new Object[] {"greet", "mods.greet"},
                    lua.run("return require('greet').name, require('mods.greet').name"));
        }
    }

    @Test
    void shouldNameModuleFileAndLineOfAnError() {
        try (LuaState lua = LuaState.builder().modules(RESOURCES, "mods").open()) {
            LuaException syntax = assertThrows(LuaException.class, () -> lua.run("require('bad')"));
            assertEquals("error loading module 'bad' from resource 'mods/bad.lua':\n\tmods/bad.lua:3: unexpected"
                    + " symbol near '='", syntax.luaMessage());
            LuaException runtime = assertThrows(LuaException.class, () -> lua.run("require('fails')"));
            assertEquals("mods/fails.lua:3: no luck here", runtime.luaMessage());
            assertEquals("mods/fails.lua", runtime.chunkName());
            assertEquals(3, runtime.line());
            assertEquals(2L, lua.run("return 1 + 1")[0], "the state is usable after the errors");
        }
    }

    @Test
    void shouldLoadSourceFromALoaderFunctionOnce() {
        AtomicInteger asked = new AtomicInteger();
        Map<String, Thread> callers = new LinkedHashMap<>();
        try (LuaState lua = LuaState.builder().modules(name -> {
            asked.incrementAndGet();
            callers.put(name, Thread.currentThread());
            return switch (name) {
                case "counter" -> "local n = 0\nreturn function() n = n + 1 return n end";
                case "broken" -> "local name = ...\nerror(name .. ' is broken')";
                default -> null;
            };
        }).open()) {
            assertEquals(3L, lua.run("require('counter')() require('counter')() return require('counter')()")[0]);
            assertEquals(1, asked.get(), "loaded once: package.loaded keeps the module");
            assertSame(Thread.currentThread(), callers.get("counter"), "the loader runs on the thread of require");
            LuaException e = assertThrows(LuaException.class, () -> lua.run("require('broken')"));
            assertEquals("broken:2: broken is broken", e.luaMessage(), "chunk \"=name\", with the name as ...");
        }
    }

    @Test
    void shouldFailRequireWhenTheLoaderThrows() {
        try (LuaState lua = LuaState.builder().modules(name -> {
            throw new IllegalStateException("the store is down");
        }).open()) {
            assertArrayEquals(new Object[] {false, "error loading module 'app' from Java loader:\n\t"
                    + "java.lang.IllegalStateException: the store is down"}, lua.run("return pcall(require, 'app')"));
            LuaException e = assertThrows(LuaException.class, () -> lua.run("require('app')"));
            assertEquals("error loading module 'app' from Java loader:\n\t"
                    + "java.lang.IllegalStateException: the store is down", e.luaMessage());
            assertEquals("a", lua.run("return string.sub('abc', 1, 1)")[0], "the state is usable after the error");
        }
    }

    @Test
    void shouldSearchPreloadThenJavaInTheOrderGivenThenFiles(@TempDir Path dir) throws Exception {
        Map<String, JavaFunction> greet = Map.of("hello", args -> "from Java");
        Files.writeString(dir.resolve("greet.lua"), "return {hello = function() return 'from a file' end}");
        Files.writeString(dir.resolve("onlyfile.lua"), "return 'from a file'");
        String path = "package.path = '" + dir + "/?.lua'";
        try (LuaState lua = LuaState.builder().module("greet", greet).modules(RESOURCES, "mods")
                .modules(name -> name.equals("onlyfile") ? null : "return 'from the loader'").open()) {
            lua.run(path);
            assertEquals("from Java", lua.run("return require('greet').hello()")[0], "the Java module comes first");
            assertEquals("sub", lua.run("return require('pkg.sub').kind")[0], "then the resources");
            assertEquals("from the loader", lua.run("return require('other')")[0], "then the loader");
            assertEquals("from a file", lua.run("return require('onlyfile')")[0], "then the files");
            lua.run("package.preload.other2 = function() return 'from preload' end");
            assertEquals("from preload", lua.run("return require('other2')")[0], "package.preload before all");
        }
        try (LuaState lua = LuaState.builder().modules(RESOURCES, "mods").module("greet", greet).open()) {
            assertEquals("hello, x", lua.run("return require('greet').hello('x')")[0], "the resource comes first");
        }
    }

    @Test
    void shouldListTheJavaPlacesInTheErrorOfAMissingModule() {
        try (LuaState lua = LuaState.builder().module("a", Map.of()).module("b", Map.of()).modules(RESOURCES, "mods")
                .modules(name -> null).open()) {
            LuaException e = assertThrows(LuaException.class, () -> lua.run("require('x.y')"));
            assertTrue(e.luaMessage().startsWith("chunk:1: module 'x.y' not found:"
                    + "\n\tno field package.preload['x.y']"
                    + "\n\tno Java module 'x.y'" // one line for modules given one after the other
                    + "\n\tno resource 'mods/x/y.lua'"
                    + "\n\tno resource 'mods/x/y/init.lua'"
                    + "\n\tno source from Java loader for 'x.y'"
                    + "\n\tno file './x/y.lua'"), e.luaMessage());
            LuaException outside = assertThrows(LuaException.class, () -> lua.run("require('..greet')"));
            assertTrue(outside.luaMessage().contains("\n\tno resource for '..greet' in 'mods' (a module name is"
                    + " parts without '/' or '\\' joined by single dots)"), outside.luaMessage());
            assertThrows(LuaException.class, () -> lua.run("require('pkg/sub')"));
        }
    }

    @Test
    void shouldRefuseBytecodeUnlessAllowed(@TempDir Path dir) throws Exception {
        byte[] bytecode;
        try (LuaState lua = LuaState.open()) {
            bytecode = lua.compile("return {answer = 42}", "=fast");
        }
        Files.createDirectories(dir.resolve("mods"));
        Files.write(dir.resolve("mods/fast.lua"), bytecode);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            try (LuaState lua = LuaState.builder().modules(loader, "mods").open()) {
                LuaException e = assertThrows(LuaException.class, () -> lua.run("require('fast')"));
                assertEquals("error loading module 'fast' from resource 'mods/fast.lua':\n\tattempt to load a binary"
                        + " chunk: this state loads Lua source only (LuaJIT does not verify bytecode;"
                        + " LuaState.Builder.bytecode(true) allows it)", e.luaMessage());
            }
            try (LuaState lua = LuaState.builder().bytecode(true).modules(loader, "mods").open()) {
                assertEquals(42L, lua.run("return require('fast').answer")[0]);
            }
        }
        // a String is text, whatever the builder allows
        String binary = new String(bytecode, StandardCharsets.ISO_8859_1);
        for (boolean allowed : new boolean[] {false, true}) {
            try (LuaState lua = LuaState.builder().bytecode(allowed).modules(name -> binary).open()) {
                LuaException e = assertThrows(LuaException.class, () -> lua.run("require('fast')"));
                assertEquals("error loading module 'fast' from Java loader:\n\ta binary chunk: a Java loader gives"
                        + " Lua source text (bytecode can be a resource, with LuaState.Builder.bytecode(true))",
                        e.luaMessage());
            }
        }
    }

    @Test
    void shouldWorkInInterruptibleStatesWithAMemoryLimit() {
        try (LuaState lua = LuaState.builder().memoryLimit(16 << 20).timeLimit(Duration.ofMillis(300))
                .module("app.util", util()).modules(RESOURCES, "mods")
                .modules(name -> name.equals("spin") ? "while true do end" : null).open()) {
            assertArrayEquals(new Object[] {5L, "hello, x", 7L}, lua.run("""
                    return require("app.util").add(2, 3), require("greet").hello("x"),
                      coroutine.wrap(function() return require("app.util").add(3, 4) end)()"""));
            LuaException e = assertThrows(LuaException.class, () -> lua.run("require('spin')"));
            assertEquals(LuaException.Kind.CANCELLED, e.kind(), "a module's code is stopped as any code is");
            assertEquals(9L, lua.run("return require('app.util').add(4, 5)")[0]);
        }
    }

    @Test
    void shouldRefuseJavaModulesWithoutThePackageLibrary() {
        LuaState.Builder noPackage = LuaState.builder().libraries(LuaState.Library.STRING).module("m", Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, noPackage::open);
        assertEquals("Java modules (module, modules) are found by require, which comes with Library.PACKAGE: add"
                + " PACKAGE to libraries(...), or give no modules", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CallbackType.of("int (*)(int)").builder().stateOptions(noPackage));
        assertThrows(IllegalArgumentException.class, () -> LuaThread.builder().stateOptions(noPackage));
        try (LuaState lua = LuaState.builder().libraries(LuaState.Library.PACKAGE).module("m", Map.of()).open()) {
            assertEquals("table", lua.run("return type(require('m'))")[0]);
        }
    }

    @Test
    void shouldRefuseBadModuleArguments() {
        LuaState.Builder builder = LuaState.builder().module("m", Map.of());
        assertEquals("a Java module named 'm' is given already",
                assertThrows(IllegalArgumentException.class, () -> builder.module("m", Map.of())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.module("", Map.of()));
        Map<String, JavaFunction> withNull = new LinkedHashMap<>();
        withNull.put("f", null);
        assertEquals("Java module 'n' has a null function for 'f'",
                assertThrows(IllegalArgumentException.class, () -> builder.module("n", withNull)).getMessage());
        assertThrows(NullPointerException.class, () -> builder.modules(null, "mods"));
        assertThrows(NullPointerException.class, () -> builder.modules(null));
    }

    @Test
    void shouldRefuseMoreFunctionsThanAStateTakesAtOpen() {
        Map<String, JavaFunction> functions = new LinkedHashMap<>();
        for (int i = 0; i < 1990; i++) {
            long n = i;
            functions.put("f" + i, args -> n);
        }
        try (LuaState lua = LuaState.builder().module("big", functions).open()) {
            assertEquals(1989L, lua.run("return require('big').f1989()")[0]);
        }
        for (int i = 1990; i < 2010; i++) {
            functions.put("f" + i, args -> null);
        }
        LuaState.Builder tooMany = LuaState.builder().module("big", functions);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tooMany::open);
        assertTrue(e.getMessage().startsWith("too many Java module functions: a builder's modules hold at most"
                + " about 1,990 functions in all"), e.getMessage());
    }

    @Test
    void shouldGiveTheSameModulesToTheStatesOfACallbackCalledFromNativeThreads() throws Throwable {
        AtomicInteger calls = new AtomicInteger();
        LuaState.Builder options = LuaState.builder().module("app.util", Map.of("add", args -> {
            calls.incrementAndGet();
            return (Long) args[0] + (Long) args[1];
        })).modules(RESOURCES, "mods");
        CallbackType start = CallbackType.of("void *(*)(void *)");
        try (Arena arena = Arena.ofConfined();
             Callback body = start.builder().states(2).stateOptions(options).create("""
                     local ffi = require("ffi")
                     return function(out)
                       local greeting = require("greet").hello("x") -- "hello, x": 8 bytes
                       ffi.cast("int64_t *", out)[0] = require("app.util").add(34, #greeting)
                     end""")) {
            MemorySegment results = arena.allocate(JAVA_LONG, 2);
            long[] threads = new long[2];
            for (int t = 0; t < 2; t++) {
                threads[t] = NativeCallers.pthreadCreate(body.funcptr(), results.asSlice(t * 8L, 8));
            }
            for (long thread : threads) {
                NativeCallers.pthreadJoin(thread);
            }
            assertEquals(0, body.errorCount(), () -> String.valueOf(body.lastError()));
            assertEquals(42L, results.getAtIndex(JAVA_LONG, 0));
            assertEquals(42L, results.getAtIndex(JAVA_LONG, 1));
            assertEquals(2, calls.get());
        }
    }

    @Test
    void shouldGiveTheModulesToALuaThread() throws Exception {
        List<String> asked = new ArrayList<>();
        LuaState.Builder options = LuaState.builder().module("app.util", util()).modules(name -> {
            synchronized (asked) {
                asked.add(name);
            }
            return name.equals("answer") ? "return 2" : null;
        });
        for (boolean nativeThread : new boolean[] {false, true}) {
            LuaThread thread = LuaThread.builder().nativeThread(nativeThread).stateOptions(options).start("""
                    return function() return require("app.util").add(40, require("answer")) end""",
                    MemorySegment.NULL);
            try {
                assertTrue(thread.join(Duration.ofSeconds(30)));
                assertEquals(LuaThread.Status.FINISHED, thread.status(), () -> String.valueOf(thread.error()));
                assertEquals(42L, thread.result());
            } finally {
                thread.close();
            }
        }
        assertEquals(List.of("answer", "answer"), asked);
    }
}
