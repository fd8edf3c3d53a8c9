package dev.ljasync;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/**
 * print, io.write, io.stdout and io.stderr go to Java sinks in every state the library makes: System.out and
 * System.err as they are when written to, or a state's own PrintStream or Consumer of lines.
 */
@Timeout(60)
class OutputTest {

    private static final Duration LONG_ENOUGH = Duration.ofSeconds(30);

    private PrintStream originalOut;
    private PrintStream originalErr;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void captureSystemStreams() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
    }

    @AfterEach
    void restoreSystemStreams() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream to(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true);
    }

    // ---- System.out, wherever the state is --------------------------------------------------------------------

    @Test
    void shouldSendPrintAndIoWriteToSystemOut() {
        try (LuaState lua = LuaState.open()) {
            lua.run("""
                    print("a", 1, 2.5, nil, true)
                    print()
                    io.write("x", 42, "\\n")
                    io.stdout:write("y", "\\n")
                    io.stderr:write("to err\\n")""");
        }
        assertEquals("a\t1\t2.5\tnil\ttrue\n\nx42\ny\n", out());
        assertEquals("to err\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldLookUpSystemOutWhenWrittenNotWhenOpened() {
        try (LuaState lua = LuaState.open()) {
            lua.run("print('first')");
            ByteArrayOutputStream later = new ByteArrayOutputStream();
            System.setOut(to(later));
            lua.run("print('second') io.write('third\\n')");
            assertEquals("first\n", out());
            assertEquals("second\nthird\n", later.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldSendACallbacksPrintFromANativeThreadToSystemOut() throws Throwable {
        try (Callback callback = CallbackType.of("void *(*)(void *)").create("""
                local ffi = require("ffi")
                return function(ud)
                  print("native thread", tonumber(ffi.cast("intptr_t", ud)))
                  io.write("and io.write\\n")
                  return nil
                end""")) {
            long thread = NativeCallers.pthreadCreate(callback.funcptr(), MemorySegment.ofAddress(7));
            NativeCallers.pthreadJoin(thread);
            assertEquals(0, callback.errorCount());
        }
        assertEquals("native thread\t7\nand io.write\n", out());
    }

    @Test
    void shouldSendALuaThreadsPrintToSystemOut() throws Exception {
        for (boolean nativeThread : new boolean[] {false, true}) {
            out.reset();
            try (LuaThread thread = LuaThread.builder().nativeThread(nativeThread).start("""
                    return function()
                      print("from a thread")
                      io.stdout:write("done\\n")
                    end""", MemorySegment.NULL)) {
                assertTrue(thread.join(LONG_ENOUGH));
                assertEquals(LuaThread.Status.FINISHED, thread.status(), () -> thread.error().toString());
            }
            assertEquals("from a thread\ndone\n", out(), "native thread: " + nativeThread);
        }
    }

    // ---- a state's own sinks -------------------------------------------------------------------------------------

    @Test
    void shouldHandAConsumerExactLines() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    io.write("a")
                    io.write("b\\nc")
                    print("d", "e")
                    io.write("windows\\r\\n", "\\n", "cr\\r inside\\n")
                    io.write("partial")""");
            assertEquals(List.of("ab", "cd\te", "windows", "", "cr\r inside"), lines);
            assertEquals(true, lua.run("return io.stdout:flush()")[0]);
            assertEquals("partial", lines.getLast());
            lua.run("io.write('left at close')");
            assertEquals(6, lines.size());
        }
        assertEquals("left at close", lines.getLast());
        assertEquals(7, lines.size());
        assertEquals("", out(), "nothing reaches System.out");
    }

    @Test
    void shouldDecodeLinesAsUtf8ReplacingMalformedBytes() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            // é split across two writes is still é; a lone continuation byte and a truncated sequence are U+FFFD
            lua.run("io.write('caf\\xc3') io.write('\\xa9\\n') print('\\x80', 'x\\xe2\\x82') print('nul\\0byte')");
        }
        assertEquals(List.of("café", "\uFFFD\tx\uFFFD", "nul\0byte"), lines);
    }

    @Test
    void shouldWriteTheExactBytesToAPrintStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (LuaState lua = LuaState.builder().output(to(bytes)).open()) {
            lua.run("print('\\xff\\0\\xc3', 'é') io.write('\\x80\\r\\n')");
        }
        assertArrayEquals(new byte[] {(byte) 0xff, 0, (byte) 0xc3, '\t', (byte) 0xc3, (byte) 0xa9, '\n',
                (byte) 0x80, '\r', '\n'}, bytes.toByteArray());
        assertEquals("", out());
    }

    @Test
    void shouldSendIoStderrToTheErrorOutput() {
        List<String> errors = new ArrayList<>();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (LuaState lua = LuaState.builder().output(to(output)).errorOutput(errors::add).open()) {
            lua.run("io.stderr:write('bad', ' news\\n') print('good news') io.output(io.stderr) io.write('as default\\n')");
        }
        assertEquals(List.of("bad news", "as default"), errors);
        assertEquals("good news\n", output.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream errorBytes = new ByteArrayOutputStream();
        try (LuaState lua = LuaState.builder().errorOutput(to(errorBytes)).open()) {
            lua.run("io.stderr:write('\\xfe\\n')");
        }
        assertArrayEquals(new byte[] {(byte) 0xfe, '\n'}, errorBytes.toByteArray());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPrintInAStateWithoutTheIoLibrary() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().libraries().output(lines::add).open()) {
            assertNull(lua.run("print('only base') return io")[0]);
        }
        assertEquals(List.of("only base"), lines);
    }

    @Test
    void shouldGiveACallbackAndAThreadTheirStateOptionsSinks() throws Throwable {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        LuaState.Builder options = LuaState.builder().output(lines::add);
        try (Callback callback = CallbackType.of("void *(*)(void *)").builder().stateOptions(options)
                .create("return function() print('callback') end")) {
            NativeCallers.pthreadJoin(NativeCallers.pthreadCreate(callback.funcptr(), MemorySegment.NULL));
        }
        try (LuaThread thread = LuaThread.builder().stateOptions(options)
                .start("return function() io.write('thread\\nno line break') end", MemorySegment.NULL)) {
            assertTrue(thread.join(LONG_ENOUGH));
        }
        // the thread's state is closed before join returns: its last partial line is there
        assertEquals(List.of("callback", "thread", "no line break"), lines);
        assertEquals("", out());
    }

    // ---- Lua's side ----------------------------------------------------------------------------------------------

    @Test
    void shouldMakeIoStdoutAndIoStderrBehaveAsFiles() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            Object[] r = lua.run("""
                    local closed, why = io.stdout:close()
                    local closedDefault, whyDefault = io.close()
                    return io.type(io.stdout), io.type(io.stderr), type(io.stdout), io.output() == io.stdout,
                      io.write("w") == io.stdout, io.stdout:write("x\\n") == io.stdout, io.stdout:setvbuf("no"),
                      io.stdout:setvbuf("full", 1024), io.flush(), tostring(io.stdout), tostring(io.stderr),
                      closed, why, closedDefault, whyDefault, io.type(42), io.type(io.stdin)""");
            assertEquals(Arrays.asList("file", "file", "userdata", true, true, true, true, true, true, "file (stdout)",
                    "file (stderr)", null, "cannot close standard file", null, "cannot close standard file", null,
                    "file"), Arrays.asList(r));
            assertEquals(List.of("wx"), lines);
            assertError(lua, "io.stdout:read()", "chunk:1: io.stdout cannot be read: it writes to the state's output,"
                    + " which goes to Java");
            assertError(lua, "io.stderr:lines()", "chunk:1: io.stderr cannot be read: it writes to the state's"
                    + " output, which goes to Java");
            assertError(lua, "io.stdout:seek('set')", "chunk:1: io.stdout cannot seek: it writes to the state's"
                    + " output, which goes to Java");
            assertError(lua, "io.stdout:setvbuf('sometimes')",
                    "chunk:1: bad argument #1 to 'setvbuf' (invalid option 'sometimes')");
            assertError(lua, "io.write('a', {})", "chunk:1: bad argument #2 to 'write' (string expected, got table)");
            assertError(lua, "\nio.stdout:write(nil)",
                    "chunk:2: bad argument #1 to 'write' (string expected, got nil)");
            assertError(lua, "io.stdout.write('x')", "chunk:1: bad argument #1 to 'write' (FILE* expected, got"
                    + " string)");
            assertError(lua, "io.output({})", "chunk:1: bad argument #1 to 'output' (FILE* expected, got table)");
            assertError(lua, "io.output('/no/such/dir/file')",
                    "chunk:1: bad argument #1 to 'output' (/no/such/dir/file: No such file or directory)");
            assertEquals(List.of("wx"), lines, "nothing was written by the failed calls");
        }
    }

    @Test
    void shouldStillRedirectIoOutputToARealFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("out.txt");
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            Object[] r = lua.run("""
                    local path = ...
                    io.write("before\\n")
                    local f = io.output(path)
                    io.write("into the file ", 1, "\\n")
                    local same = io.output() == f and io.type(f) == "file"
                    io.flush()
                    io.output(io.stdout)
                    f:close()
                    io.write("after\\n")
                    print("print is never redirected")
                    return same, pcall(io.output, f)""", "chunk", file.toString());
            assertEquals(true, r[0]);
            assertEquals(false, r[1]);
            assertEquals("attempt to use a closed file", r[2]);
        }
        assertEquals("into the file 1\n", Files.readString(file));
        assertEquals(List.of("before", "after", "print is never redirected"), lines);
    }

    @Test
    void shouldLookUpTostringAsLuaDoes() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    print(setmetatable({}, {__tostring = function() return "custom" end}), 1)
                    local original = tostring
                    tostring = function(v) return "<" .. original(v) .. ">" end
                    print("a", 2)
                    tostring = function() return 3 end
                    print("numbers pass")
                    tostring = original""");
            assertEquals(List.of("custom\t1", "<a>\t<2>", "3"), lines);
            assertError(lua, "tostring = function() return {} end print('x')",
                    "chunk:1: 'tostring' must return a string to 'print'");
            assertError(lua, "tostring = nil print('x')", "chunk:1: attempt to call a nil value (global 'tostring')");
        }
    }

    @Test
    void shouldRaiseTheErrorOfAFailingTostring() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            LuaException e = assertThrows(LuaException.class, () -> lua.run(
                    "print('before', setmetatable({}, {__tostring = function() error('no text for you') end}))"));
            assertEquals("chunk:1: no text for you", e.luaMessage());
            assertEquals(List.of(), lines, "a print that failed writes nothing");
            lua.run("print('usable')");
        }
        assertEquals(List.of("usable"), lines);
    }

    @Test
    void shouldPrintFromCoroutines() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    local co = coroutine.wrap(function()
                      print("in a coroutine")
                      coroutine.yield()
                      io.write("resumed\\n")
                    end)
                    co() print("between") co()""");
        }
        assertEquals(List.of("in a coroutine", "between", "resumed"), lines);
    }

    @Test
    void shouldPrintFromInsideTostringAndWithManyArguments() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    print(setmetatable({}, {__tostring = function() print("inner") return "outer" end}), "!")
                    local many = {}
                    for i = 1, 5000 do many[i] = i end
                    print(unpack(many))
                    io.write(unpack(many))
                    io.write("\\n")""");
            LuaException e = assertThrows(LuaException.class, () -> lua.run(
                    "local function f() print(setmetatable({}, {__tostring = f})) end f()"));
            assertTrue(e.luaMessage().contains("stack overflow"), e.luaMessage());
        }
        StringBuilder tabbed = new StringBuilder("1");
        StringBuilder joined = new StringBuilder("1");
        for (int i = 2; i <= 5000; i++) {
            tabbed.append('\t').append(i);
            joined.append(i);
        }
        assertEquals(List.of("inner", "outer\t!", tabbed.toString(), joined.toString()), lines);
    }

    @Test
    void shouldWriteAHugeStringWhole() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int size = 16 << 20;
        try (LuaState lua = LuaState.builder().output(to(bytes)).open()) {
            lua.run("print(string.rep('x', ...))", "chunk", size);
        }
        byte[] written = bytes.toByteArray();
        assertEquals(size + 1, written.length);
        byte[] expected = new byte[size + 1];
        Arrays.fill(expected, (byte) 'x');
        expected[size] = '\n';
        assertArrayEquals(expected, written);
    }

    // ---- sinks that fail -----------------------------------------------------------------------------------------

    @Test
    void shouldTurnAThrowingSinkIntoALuaErrorNamingIt() {
        try (LuaState lua = LuaState.builder().output(line -> {
            throw new IllegalStateException("the log is full");
        }).errorOutput(to(new ByteArrayOutputStream())).open()) {
            LuaException e = assertThrows(LuaException.class, () -> lua.run("local x = 1\nprint('lost')"));
            assertEquals(LuaException.Kind.JAVA, e.kind());
            assertEquals("chunk:2: the state's output (a Consumer<String>) threw java.lang.IllegalStateException:"
                    + " the log is full", e.luaMessage());
            assertEquals(2, e.line());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            Object[] caught = lua.run("return pcall(io.write, 'a line\\n')");
            assertEquals(false, caught[0]);
            assertTrue(((String) caught[1]).endsWith("the state's output (a Consumer<String>) threw"
                    + " java.lang.IllegalStateException: the log is full"), (String) caught[1]);
            // a partial line waits in Java; the consumer throws at close too, and close does not
            lua.run("io.write('no line break')");
        }
    }

    @Test
    void shouldNameAThrowingPrintStream() {
        PrintStream broken = new PrintStream(new ByteArrayOutputStream()) {
            @Override
            public void write(byte[] buf, int off, int len) {
                throw new IllegalStateException("closed for good");
            }
        };
        try (LuaState lua = LuaState.builder().errorOutput(broken).open()) {
            LuaException e = assertThrows(LuaException.class, () -> lua.run("io.stderr:write('x')"));
            assertEquals("chunk:1: the state's error output (a PrintStream) threw java.lang.IllegalStateException:"
                    + " closed for good", e.luaMessage());
            lua.run("print('stdout still works')");
        }
        assertEquals("stdout still works\n", out());
    }

    // ---- __gc finalizers and close -------------------------------------------------------------------------------

    @Test
    void shouldSendWhatAFinalizerPrintsDuringCloseToTheSink() {
        List<String> lines = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run("""
                    keep = newproxy(true)
                    getmetatable(keep).__gc = function() print("finalized") io.write("last words") end""");
        }
        assertEquals(List.of("finalized", "last words"), lines);
    }

    @Test
    void shouldSurviveAFinalizerWhoseSinkThrowsDuringClose() {
        List<String> tried = new ArrayList<>();
        try (LuaState lua = LuaState.builder().output(line -> {
            tried.add(line);
            throw new IllegalStateException("gone");
        }).open()) {
            lua.run("keep = newproxy(true) getmetatable(keep).__gc = function() print('into the void') end");
        }
        assertEquals(List.of("into the void"), tried);
    }

    /**
     * A state dropped without close is closed by the collector; its finalizer's print finds the state's Java side
     * gone and fails as a Lua error in the finalizer, which LuaJIT catches. Child JVM: no crash, no hang.
     */
    static void finalizerPrintsInAStateTheCollectorCloses() throws InterruptedException {
        MemorySegment cell = Arena.global().allocate(JAVA_INT);
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        openAndDrop(cell, lines);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cell.get(JAVA_INT, 0) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the dropped state was not closed within 30 s");
            }
            System.gc();
            Thread.sleep(20);
        }
        Thread.sleep(200); // the rest of lua_close
        // 1: print raised its error and the finalizer ended there; 2 would mean the print went through
        System.out.println("finalizer reached " + cell.get(JAVA_INT, 0) + ", lines " + lines);
    }

    private static void openAndDrop(MemorySegment cell, List<String> lines) {
        LuaState lua = LuaState.builder().output(lines::add).open();
        lua.run("""
                local ffi = require("ffi")
                local flag = ffi.cast("int *", ...)
                keep = newproxy(true)
                getmetatable(keep).__gc = function()
                  flag[0] = 1
                  print("too late")
                  flag[0] = 2
                end""", "chunk", cell);
    }

    @Test
    void shouldSurviveAFinalizerThatPrintsWhileTheCollectorClosesItsState() {
        ChildJvm.run(OutputTest.class, "finalizerPrintsInAStateTheCollectorCloses")
                .assertPrinted("finalizer reached 1, lines []");
    }

    // ---- many threads ---------------------------------------------------------------------------------------------

    @Test
    void shouldKeepEachLineWholeWhenManyNativeThreadsPrintThroughAPool() throws Throwable {
        int threads = 8, linesEach = 100, length = 5000;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicReference<LuaException> failure = new AtomicReference<>();
        try (Callback callback = CallbackType.of("void *(*)(void *)").builder().states(4).onError(failure::set)
                .stateOptions(LuaState.builder().output(to(bytes))).create("""
                        local ffi = require("ffi")
                        local count, length = ...
                        return function(ud)
                          local id = tonumber(ffi.cast("intptr_t", ud))
                          local line = string.rep(string.char(64 + id), length)
                          for i = 1, count do
                            if i % 2 == 0 then print(line) else io.write(line, "\\n") end
                          end
                        end""", (long) linesEach, (long) length)) {
            long[] pthreads = new long[threads];
            for (int t = 0; t < threads; t++) {
                pthreads[t] = NativeCallers.pthreadCreate(callback.funcptr(), MemorySegment.ofAddress(t + 1));
            }
            for (long thread : pthreads) {
                NativeCallers.pthreadJoin(thread);
            }
        }
        assertNull(failure.get());
        String[] lines = bytes.toString(StandardCharsets.US_ASCII).split("\n");
        assertEquals(threads * linesEach, lines.length);
        int[] perThread = new int[threads];
        for (String line : lines) {
            assertEquals(length, line.length());
            char c = line.charAt(0);
            assertEquals(String.valueOf(c).repeat(length), line, "a line mixed with another");
            perThread[c - 65]++;
        }
        int[] expected = new int[threads];
        Arrays.fill(expected, linesEach);
        assertArrayEquals(expected, perThread);
    }

    private static void assertError(LuaState lua, String code, String message) {
        LuaException e = assertThrows(LuaException.class, () -> lua.run(code), code);
        assertEquals(message, e.luaMessage(), code);
    }
}
