package dev.ljasync.script;

import dev.ljasync.Channel;
import dev.ljasync.JavaFunction;
import dev.ljasync.LuaException;
import dev.ljasync.LuaState;
import dev.ljasync.LuaTable;
import dev.ljasync.LuaValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.Invocable;
import javax.script.ScriptContext;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import javax.script.ScriptEngineManager;
import javax.script.ScriptException;
import javax.script.SimpleBindings;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/** The javax.script engine, found and used through the standard API only, against real LuaJIT. */
@Timeout(30)
class LuaScriptEngineTest {

    private final ScriptEngineManager manager = new ScriptEngineManager();
    private ScriptEngine engine;

    @BeforeEach
    void open() {
        engine = manager.getEngineByName("lua");
        assertNotNull(engine, "ScriptEngineManager found no engine named lua");
    }

    @AfterEach
    void close() throws Exception {
        ((AutoCloseable) engine).close();
    }

    @Test
    void shouldBeFoundByEveryNameExtensionAndMimeType() throws Exception {
        assertInstanceOf(LuaScriptEngine.class, engine);
        for (ScriptEngine other : List.of(manager.getEngineByName("luajit"), manager.getEngineByName("LuaJIT"),
                manager.getEngineByExtension("lua"), manager.getEngineByMimeType("text/x-lua"),
                manager.getEngineByMimeType("application/x-lua"))) {
            assertInstanceOf(LuaScriptEngine.class, other);
            assertNotSame(engine, other, "each lookup makes an engine with a state of its own");
            assertEquals(3L, other.eval("return 1 + 2"));
            ((AutoCloseable) other).close();
        }
    }

    @Test
    void shouldDescribeTheLanguageAndTheEngine() {
        ScriptEngineFactory factory = engine.getFactory();
        assertEquals(List.of("lua", "luajit", "LuaJIT"), factory.getNames());
        assertEquals(List.of("lua"), factory.getExtensions());
        assertEquals(List.of("text/x-lua", "application/x-lua"), factory.getMimeTypes());
        assertEquals("Lua", factory.getLanguageName());
        assertEquals("5.1", factory.getLanguageVersion());
        assertEquals("lj-async LuaJIT", factory.getEngineName());
        assertEquals(LuaState.luaJitVersion(), "LuaJIT " + factory.getEngineVersion());
        assertEquals("MULTITHREADED", factory.getParameter("THREADING"));
        assertEquals("lua", factory.getParameter(ScriptEngine.NAME));
        assertEquals("Lua", factory.getParameter(ScriptEngine.LANGUAGE));
        assertEquals(factory.getEngineVersion(), factory.getParameter(ScriptEngine.ENGINE_VERSION));
        assertNull(factory.getParameter("no.such.key"));
        assertEquals("t:m(a, b)", factory.getMethodCallSyntax("t", "m", "a", "b"));
        assertEquals("print('hi')", factory.getOutputStatement("'hi'"));
        assertEquals("x = 1\nreturn x", factory.getProgram("x = 1", "return x"));
    }

    @Test
    void shouldGenerateCodeThatRuns() throws Exception {
        ScriptEngineFactory factory = engine.getFactory();
        engine.eval("s = 'Lua'");
        String program = factory.getProgram("local n = #s", "return " + factory.getMethodCallSyntax("s", "rep", "n"));
        assertEquals("LuaLuaLua", engine.eval(program));
    }

    @Test
    void shouldShowEngineBindingsAsGlobalsBothWays() throws Exception {
        engine.put("x", 1);
        assertEquals(1L, engine.eval("return x"));
        engine.eval("y = 2; z = 'two'");
        assertEquals(2L, engine.get("y"));
        assertEquals("two", engine.get("z"));
        assertNull(engine.get("nothing"));

        Bindings globals = engine.getBindings(ScriptContext.ENGINE_SCOPE);
        assertTrue(globals.containsKey("print"), "the standard library is in the globals");
        assertTrue(globals.keySet().containsAll(List.of("x", "y", "z", "string", "print")));
        assertEquals(2L, globals.remove("y"));
        assertFalse(globals.containsKey("y"));
        assertEquals(true, engine.eval("return y == nil"));
        assertEquals("two", globals.put("z", 3.5));
        assertEquals(3.5, engine.eval("return z"));
    }

    @Test
    void shouldReadGlobalsRawSoTheGlobalScopeIsNotTheEngines() throws Exception {
        manager.put("shared", "from the manager");
        assertEquals("from the manager", engine.eval("return shared"));
        assertNull(engine.get("shared"), "the manager's value is not an engine-scope binding");
        assertFalse(engine.getBindings(ScriptContext.ENGINE_SCOPE).containsKey("shared"));

        engine.put("shared", "the engine's own");
        assertEquals("the engine's own", engine.eval("return shared"), "engine scope shadows the global scope");
        engine.getBindings(ScriptContext.ENGINE_SCOPE).remove("shared");
        manager.put("shared", "changed");
        assertEquals("changed", engine.eval("return shared"), "the global scope is read when the code reads it");
    }

    @Test
    void shouldReadEveryGlobalAsItsJavaValue() throws Exception {
        LuaValue tostring = assertInstanceOf(LuaValue.class, engine.get("tostring"));
        assertEquals(LuaValue.Type.FUNCTION, tostring.type());
        assertArrayEquals(new Object[] {"12"}, tostring.call(12));
        engine.eval("t = {10, 20, name = 'x'}; co = coroutine.create(print); u = newproxy(false)");
        LuaTable t = assertInstanceOf(LuaTable.class, engine.get("t"));
        assertEquals(List.of(10L, 20L), List.of(t.get(1L), t.get(2L)));
        assertEquals("x", t.get("name"));
        assertEquals(LuaValue.Type.THREAD, ((LuaValue) engine.get("co")).type());
        assertEquals(LuaValue.Type.USERDATA, ((LuaValue) engine.get("u")).type());
        assertTrue(engine.get("string") instanceof LuaTable library && library.get("upper") instanceof LuaValue,
                "a library is a table of functions");

        engine.put("again", tostring);
        assertEquals(true, engine.eval("return again == tostring"), "a reference goes back as the same function");
        assertEquals(t, engine.getBindings(ScriptContext.ENGINE_SCOPE).put("t", 1), "put returns what it replaced");
        assertEquals(tostring, engine.getBindings(ScriptContext.ENGINE_SCOPE).remove("again"));
    }

    @Test
    void shouldGiveALiveReferenceToAGlobal() throws Exception {
        engine.eval("config = {size = 1}; _G['a.b'] = {}");
        LuaValue config = ((LuaScriptEngine) engine).reference("config");
        config.set("size", 2);
        assertEquals(2L, engine.eval("return config.size"));
        assertEquals(LuaValue.Type.TABLE, ((LuaScriptEngine) engine).reference("a.b").type(), "a key, not a path");
        manager.put("shared", Map.of());
        assertNull(((LuaScriptEngine) engine).reference("shared"), "raw: the global scope is not the engine's");
    }

    @Test
    void shouldRegisterAJavaFunctionPutInTheBindings() throws Exception {
        engine.put("shout", (JavaFunction) args -> args[0].toString().toUpperCase() + "!");
        assertEquals("LUA!", engine.eval("return shout('lua')"));
        engine.put("a.key with a dot", (JavaFunction) args -> 7);
        assertEquals(7L, engine.eval("return _G['a.key with a dot']()"));
        engine.put("ljasync_script_registered", (JavaFunction) args -> 8);
        assertEquals(8L, engine.eval("return ljasync_script_registered()"));
        engine.getBindings(ScriptContext.ENGINE_SCOPE).remove("ljasync_script_registered");
        engine.put("another.dot", (JavaFunction) args -> 9);
        assertEquals(9L, engine.eval("return _G['another.dot']()"));
        assertFalse(engine.getBindings(ScriptContext.ENGINE_SCOPE).containsKey("ljasync_script_registered"));
        assertFalse(engine.getBindings(ScriptContext.ENGINE_SCOPE).containsKey("GLOBAL_SCOPE"));
        ScriptException e = assertThrows(ScriptException.class, () -> engine.eval("\nlocal r = shout()"));
        assertEquals(2, e.getLineNumber());
        assertTrue(e.getMessage().startsWith("script:2: Java function 'shout' threw java.lang.ArrayIndexOutOfBoundsException"),
                e.getMessage());
    }

    @Test
    void shouldEvalAReaderAndNameTheChunkByFilename() throws Exception {
        engine.put(ScriptEngine.FILENAME, "sum.lua");
        Reader reader = new StringReader("local t = 0\nfor i = 1, 10 do t = t + i end\nreturn t, 'second'");
        assertEquals(55L, engine.eval(reader));
        assertNull(engine.eval("local nothing = 1"), "a chunk that returns nothing gives null");
    }

    @Test
    void shouldReportALuaErrorAsAScriptExceptionWithFileAndLine() {
        ScriptContext context = engine.getContext();
        context.setAttribute(ScriptEngine.FILENAME, "broken.lua", ScriptContext.ENGINE_SCOPE);
        ScriptException e = assertThrows(ScriptException.class, () -> engine.eval("local a = 1\n\nerror('boom')"));
        assertEquals("broken.lua", e.getFileName());
        assertEquals(3, e.getLineNumber());
        assertEquals("broken.lua:3: boom in broken.lua at line number 3", e.getMessage());
        LuaException cause = assertInstanceOf(LuaException.class, e.getCause());
        assertEquals(LuaException.Kind.RUNTIME, cause.kind());
        assertTrue(cause.traceback().startsWith("stack traceback:"), cause.traceback());

        ScriptException syntax = assertThrows(ScriptException.class, () -> engine.eval("x = = 1"));
        assertEquals(1, syntax.getLineNumber());
        assertEquals(LuaException.Kind.SYNTAX, ((LuaException) syntax.getCause()).kind());
    }

    @Test
    void shouldEvalReportAReaderThatFails() {
        Reader failing = new Reader() {
            @Override
            public int read(char[] buffer, int offset, int length) throws IOException {
                throw new IOException("disk gone");
            }

            @Override
            public void close() {}
        };
        ScriptException e = assertThrows(ScriptException.class, () -> engine.eval(failing));
        assertEquals("disk gone", e.getCause().getMessage());
    }

    @Test
    void shouldCopyBindingsOfItsOwnInAndBackOut() throws Exception {
        engine.put("kept", "engine");
        Bindings own = new SimpleBindings();
        own.put("x", 20);
        own.put("gone", "soon");
        own.put("nothing", null);
        assertEquals(42L, engine.eval("made = x * 2 + 2; gone = nil; function helper() return 'helped' end;"
                + " return made", own));
        assertEquals(20, own.get("x"), "a value the script did not change keeps its Java type");
        assertEquals(42L, own.get("made"), "a global the script created is copied back");
        assertFalse(own.containsKey("gone"), "a name set to nil is removed");
        assertTrue(own.containsKey("nothing"), "a null the script left as it was stays");
        LuaValue helper = assertInstanceOf(LuaValue.class, own.get("helper"), "a function is copied back too");
        assertArrayEquals(new Object[] {"helped"}, helper.call());
        assertFalse(own.containsKey("kept"), "the engine's globals are not copied into the bindings");
        assertEquals("engine", engine.get("kept"));

        manager.put("scale", 3);
        assertEquals(60L, engine.eval("return x * scale", own), "the global scope is there for such an eval too");
    }

    @Test
    void shouldCopyBackAfterAnError() {
        Bindings own = new SimpleBindings();
        own.put("n", 1);
        assertThrows(ScriptException.class, () -> engine.eval("n = n + 1; error('late')", own));
        assertEquals(2L, own.get("n"));
    }

    @Test
    void shouldTakeMapsListsAndArraysAsTables() throws Exception {
        engine.put("config", Map.of("name", "demo", "sizes", List.of(10, 20, 30)));
        assertEquals("demo:60", engine.eval("return config.name .. ':' .. (config.sizes[1] + config.sizes[2]"
                + " + config.sizes[3])"));

        Map<String, Object> settings = new HashMap<>(Map.of("scale", 2));
        List<Integer> kept = List.of(1, 2);
        Bindings own = new SimpleBindings();
        own.put("settings", settings);
        own.put("kept", kept);
        own.put("grid", new int[] {1, 2, 3});
        assertEquals(12L, engine.eval("grid[4] = 4; return #kept + settings.scale * 5", own));
        assertSame(settings, own.get("settings"), "a table the script left as it was keeps its binding");
        assertSame(kept, own.get("kept"));
        LuaTable grid = assertInstanceOf(LuaTable.class, own.get("grid"), "a changed table is copied back");
        assertEquals(List.of(1L, 2L, 3L, 4L), grid.toList());
    }

    @Test
    void shouldPrintToTheContextsWriters() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        engine.getContext().setWriter(out);
        engine.getContext().setErrorWriter(err);
        engine.eval("print('hello', 42) io.write('no break yet ') io.write('now\\n') io.stderr:write('oops\\n')");
        assertEquals("hello\t42\nno break yet now\n", out.toString());
        assertEquals("oops\n", err.toString());
        java.io.StringWriter own = new java.io.StringWriter();
        javax.script.SimpleScriptContext context = new javax.script.SimpleScriptContext();
        context.setWriter(own);
        engine.eval("print('to my own context')", context);
        assertEquals("to my own context\n", own.toString());
        assertEquals("hello\t42\nno break yet now\n", out.toString(), "the engine's writer got nothing more");
    }

    @Test
    void shouldRefuseABindingWithNoLuaValueNamingIt() {
        Object thing = new Object();
        engine.put("thing", thing);
        assertSame(thing, engine.get("thing"), "any Java object is a Java object in Lua, and comes back as itself");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.put("text", "lone \uD800"));
        assertTrue(e.getMessage().startsWith("the value for 'text': a String with a lone surrogate"), e.getMessage());
        IllegalArgumentException argument = assertThrows(IllegalArgumentException.class,
                () -> ((Invocable) engine).invokeFunction("tostring", "lone \uD800"));
        assertTrue(argument.getMessage().startsWith("an argument for tostring(): a String with a lone surrogate"),
                argument.getMessage());
        manager.put("opaque", "lone \uD800");
        ScriptException global = assertThrows(ScriptException.class, () -> engine.eval("return opaque"));
        assertTrue(global.getMessage().startsWith("script:1: Java function 'GLOBAL_SCOPE' threw"
                + " java.lang.IllegalArgumentException: result 1: a String with a lone surrogate"),
                global.getMessage());
        assertThrows(IllegalArgumentException.class, () -> engine.put("", 1));
        assertThrows(NullPointerException.class, () -> engine.put(null, 1));
    }

    @Test
    void shouldInvokeFunctionsAndMethods() throws Exception {
        engine.eval("function add(a, b) return a + b, 'more' end\nfunction none() end");
        Invocable invocable = (Invocable) engine;
        assertEquals(5L, invocable.invokeFunction("add", 2, 3));
        assertNull(invocable.invokeFunction("none"));
        assertEquals("HELLO", invocable.invokeMethod("hello", "upper"));
        assertEquals("ab-ab", invocable.invokeMethod("ab", "rep", 2, "-"));

        NoSuchMethodException missing = assertThrows(NoSuchMethodException.class,
                () -> invocable.invokeFunction("nope"));
        assertEquals("global 'nope' is not a function in this engine's state", missing.getMessage());
        engine.put("notAFunction", 1);
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeFunction("notAFunction"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeMethod("s", "nope"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeMethod(3, "upper"));
        assertThrows(IllegalArgumentException.class, () -> invocable.invokeMethod(null, "upper"));

        engine.eval("function fail(n) error('failed with ' .. n) end");
        ScriptException e = assertThrows(ScriptException.class, () -> invocable.invokeFunction("fail", 7));
        assertEquals(1, e.getLineNumber());
        assertTrue(e.getMessage().startsWith("script:1: failed with 7"), e.getMessage());
    }

    @Test
    void shouldInvokeMethodsOfATableCopyAndOfALiveTable() throws Exception {
        Invocable invocable = (Invocable) engine;
        LuaTable copy = (LuaTable) engine.eval("counter = {n = 0}\n"
                + "function counter:add(k) self.n = self.n + k return self.n end\nreturn counter");
        assertInstanceOf(LuaValue.class, copy.get("add"), "the copy's function is a reference");
        assertEquals(5L, invocable.invokeMethod(copy, "add", 5), "a copy goes in as a new table");
        assertEquals(0L, engine.eval("return counter.n"), "the table in Lua did not change");
        assertEquals(0L, copy.get("n"), "nor did the copy");

        LuaValue live = ((LuaScriptEngine) engine).reference("counter");
        assertEquals(2L, invocable.invokeMethod(live, "add", 2));
        assertEquals(5L, invocable.invokeMethod(live, "add", 3));
        assertEquals(5L, engine.eval("return counter.n"), "a reference calls the table itself");
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeMethod(live, "nope"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeMethod(engine.get("tostring"), "add"));

        engine.eval("object = newproxy(true); getmetatable(object).__index = {name = function() return 'ud' end}");
        assertEquals("ud", invocable.invokeMethod(engine.get("object"), "name"), "a userdata from the engine scope");
    }

    /** Implemented by a Lua table in the tests. */
    public interface Counter {
        long add(long k);

        default long twice(long k) {
            add(k);
            return add(k);
        }
    }

    @Test
    void shouldImplementAnInterfaceWithATable() throws Exception {
        Invocable invocable = (Invocable) engine;
        engine.eval("counter = {n = 0}; function counter:add(k) self.n = self.n + k return self.n end");
        Counter live = invocable.getInterface(((LuaScriptEngine) engine).reference("counter"), Counter.class);
        assertEquals(4L, live.twice(2));
        assertEquals(4L, engine.eval("return counter.n"), "the proxy calls the table in Lua");
        Counter copied = invocable.getInterface(engine.get("counter"), Counter.class);
        assertEquals(14L, copied.add(10));
        assertEquals(4L, engine.eval("return counter.n"), "a copy is a table of its own");
        assertNull(invocable.getInterface(engine.get("string"), Counter.class), "string has no add");
        assertThrows(IllegalArgumentException.class, () -> invocable.getInterface(null, Counter.class));
        assertNull(invocable.getInterface(new Object(), Counter.class), "a Java object without methods has no add");
        IllegalArgumentException string = assertThrows(IllegalArgumentException.class,
                () -> invocable.getInterface("text", Upper.class));
        assertEquals("a string cannot implement an interface; a function or a table can", string.getMessage());
    }

    /** A string's method, which a string has but cannot implement an interface with. */
    public interface Upper {
        String upper();
    }

    /** Implemented by Lua functions in the tests. */
    public interface Calculator {
        int add(int a, int b);

        double half(long n);

        String name();

        default String greet() {
            return "hello from Java";
        }
    }

    @Test
    void shouldImplementAnInterfaceWithGlobalFunctions() throws Exception {
        Invocable invocable = (Invocable) engine;
        assertNull(invocable.getInterface(Calculator.class), "add, half and name are missing");
        engine.eval("function add(a, b) return a + b end; function half(n) return n / 2 end;"
                + " function name() return 'calc' end");
        Calculator calculator = invocable.getInterface(Calculator.class);
        assertEquals(5, calculator.add(2, 3));
        assertEquals(1.5, calculator.half(3));
        assertEquals("calc", calculator.name());
        assertEquals("hello from Java", calculator.greet(), "a default method Lua does not define");
        engine.eval("function greet() return 'hello from Lua' end");
        assertEquals("hello from Lua", invocable.getInterface(Calculator.class).greet());

        engine.eval("function add(a, b) return 2^40 end");
        LuaException notAnInt = assertThrows(LuaException.class, () -> calculator.add(1, 1), "2^40 is not an int");
        assertTrue(notAnInt.getMessage().contains("returned number 1099511627776 where int is expected"),
                notAnInt.getMessage());
        engine.eval("add = nil");
        assertThrows(UnsupportedOperationException.class, () -> calculator.add(1, 1), "add is gone");
        engine.eval("function add(a, b) return a + b end");
        assertEquals(3, calculator.add(1, 2), "each call reads the global");
        engine.eval("function add(a, b) return a + b + bonus end");
        manager.put("bonus", 100);
        assertEquals(103, calculator.add(1, 2), "a proxy's call sees the engine's global scope");
        engine.eval("function add(a, b) error('no') end");
        assertEquals(LuaException.Kind.RUNTIME, assertThrows(LuaException.class, () -> calculator.add(1, 1)).kind());
        assertThrows(IllegalArgumentException.class, () -> invocable.getInterface(String.class));
    }

    @Test
    void shouldCompileOnceAndRunTwice() throws Exception {
        engine.put(ScriptEngine.FILENAME, "counter.lua");
        CompiledScript script = ((Compilable) engine).compile("count = (count or 0) + 1\nreturn count");
        assertSame(engine, script.getEngine());
        assertEquals(1L, script.eval());
        assertEquals(2L, script.eval());
        Bindings own = new SimpleBindings();
        own.put("count", 10);
        assertEquals(11L, script.eval(own));
        assertEquals(11L, own.get("count"));

        CompiledScript fromReader = ((Compilable) engine).compile(new StringReader("return ..."));
        assertNull(fromReader.eval());
        ScriptException e = assertThrows(ScriptException.class, () -> ((Compilable) engine).compile("return +"));
        assertEquals("counter.lua", e.getFileName());
        assertEquals(LuaException.Kind.SYNTAX, ((LuaException) e.getCause()).kind());
        CompiledScript failing = ((Compilable) engine).compile("\nerror('at two')");
        assertEquals(2, assertThrows(ScriptException.class, failing::eval).getLineNumber());
    }

    @Test
    void shouldServeSeveralThreadsOneAtATime() throws Exception {
        engine.eval("total = 0; function bump(n) local t = total; total = t + n; return total end");
        Bumper bumper = ((Invocable) engine).getInterface(Bumper.class);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        ((Invocable) engine).invokeFunction("bump", 1);
                        Bindings own = new SimpleBindings();
                        own.put("step", 1);
                        engine.eval("total = total + step", own);
                        bumper.bump(1); // holds the state's lock only: one call at a time all the same
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(1200L, engine.get("total"));
    }

    /** The global function bump, implemented through getInterface. */
    public interface Bumper {
        long bump(long n);
    }

    @Test
    void shouldRefuseUseAfterClose() throws Exception {
        ((AutoCloseable) engine).close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.eval("return 1"));
        assertEquals("this LuaState is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> engine.get("x"));
        ((AutoCloseable) engine).close(); // twice: nothing
    }

    @Test
    @Timeout(60)
    void shouldFreeTheStateOfAnEngineDroppedWithoutClose() throws Exception {
        try (Channel closed = new Channel()) {
            dropEngine(closed);
            long deadline = System.nanoTime() + Duration.ofSeconds(50).toNanos();
            Object message = null;
            while (message == null && System.nanoTime() < deadline) {
                System.gc();
                try {
                    message = closed.receive(Duration.ofMillis(50));
                } catch (TimeoutException notYet) {
                    // collect again
                }
            }
            assertEquals("state closed", message, "the dropped engine's state was closed, its finalizers run");
        }
    }

    private void dropEngine(Channel closed) throws ScriptException {
        ScriptEngine dropped = manager.getEngineByName("lua");
        dropped.put("closed", closed);
        dropped.put("shout", (JavaFunction) args -> "held by the state, holding the engine");
        dropped.eval("""
                local channel = require("ljasync.sync").wrap(closed)
                keep = newproxy(true)
                getmetatable(keep).__gc = function() channel:send("state closed") end""");
    }

    @Test
    void shouldOpenAnEngineWithAStateOfYourChoice() throws Exception {
        try (LuaScriptEngine sandboxed = new LuaScriptEngineFactory().getScriptEngine(
                LuaState.builder().libraries(LuaState.Library.STRING))) {
            assertEquals(true, sandboxed.eval("return io == nil and os == nil"));
            assertEquals("ab", sandboxed.eval("return ('a'):rep(1) .. 'b'"));
            assertNull(sandboxed.eval("return missing"), "no global scope without a manager: nil");
        }
    }
}
