package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What hostile text could do to the whole process before the sandbox: edited bytecode smuggled into a source chunk
 * (a SIGSEGV), and {@code os.exit} (the JVM gone at once). Each scenario runs in a child JVM, so that the process
 * dying shows up as a failed test with its exit status.
 */
@Timeout(200)
class SandboxCrashTest {

    /**
     * The dump ({@code string.dump}, stripped) of {@code function() local t = {x = {y = 1}} return t.x.y end} with
     * one operand edited, as a Lua string literal of {@code \ddd} escapes: its first {@code TDUP} copies table
     * constant 65281 of a function that has three. LuaJIT does not verify bytecode; run, this reads a wild pointer.
     */
    static String editedBytecodeLiteral() {
        byte[] dump;
        try (LuaState trusted = LuaState.open()) {
            Object bytes = trusted.run(
                    "return string.dump(function() local t = {x = {y = 1}} return t.x.y end, true)")[0];
            dump = bytes instanceof byte[] b ? b : ((String) bytes).getBytes(StandardCharsets.UTF_8);
        }
        int at = -1;
        for (int i = 0; i + 3 < dump.length && at < 0; i++) {
            // TDUP (opcode 0x35 of LuaJIT 2.1) A=0 D=1: slot 0 = a copy of table constant 1; D's high byte is i + 3
            if (dump[i] == 0x35 && dump[i + 1] == 0 && dump[i + 2] == 1 && dump[i + 3] == 0) {
                at = i + 3;
            }
        }
        if (at < 0) {
            throw new AssertionError("no TDUP 0 1 in the dump: another LuaJIT bytecode format?");
        }
        dump[at] = (byte) 0xff;
        StringBuilder literal = new StringBuilder("\"");
        for (byte b : dump) {
            literal.append('\\').append(b & 0xff);
        }
        return literal.append('"').toString();
    }

    /** Lua source that loads the edited bytecode with {@code loader} and runs it. */
    static String editedBytecodeCall(String loader) {
        return "local f, err = " + loader + "(" + editedBytecodeLiteral() + ")\n"
                + "if not f then error(err, 0) end\n"
                + "return f()";
    }

    /** Fails unless running the chunk raised a Lua error saying the binary chunk was refused. */
    static void expectRefused(Runnable run) {
        try {
            run.run();
        } catch (LuaException e) {
            if (!e.luaMessage().contains("binary chunk")) {
                throw new AssertionError("another error than a refusal", e);
            }
            System.out.println("refused: " + e.luaMessage());
            return;
        }
        throw new AssertionError("the edited bytecode ran");
    }

    static void editedBytecodeThroughRun() {
        try (LuaState lua = LuaState.open(LuaState.Library.BASE)) {
            expectRefused(() -> lua.run(editedBytecodeCall("load")));
            expectRefused(() -> lua.run(editedBytecodeCall("loadstring")));
        }
    }

    static void editedBytecodeThroughCallback() {
        String chunk = editedBytecodeCall("load").replace("return f(", "f(") + "\nreturn function(x) return x end";
        expectRefused(() -> CallbackType.of("int (*)(int)").create(chunk).close());
    }

    static void editedBytecodeThroughThread() throws InterruptedException {
        String body = editedBytecodeCall("loadstring");
        try (LuaThread thread = LuaThread.start("return function()\n" + body + "\nend", MemorySegment.NULL)) {
            if (!thread.join(Duration.ofSeconds(30))) {
                throw new AssertionError("the thread did not end");
            }
            LuaException error = thread.error().orElseThrow(() -> new AssertionError("the edited bytecode ran"));
            expectRefused(() -> {
                throw error;
            });
        }
    }

    static void editedBytecodeThroughTheModuleLoader() {
        // require("ljasync.sync") used to take the FFI from package.loaded, where Lua code can put anything
        try (LuaState lua = LuaState.open(LuaState.Library.PACKAGE)) {
            lua.run("package.loaded.ffi = {string = function() return " + editedBytecodeLiteral() + " end}\n"
                    + "require('ljasync.sync')");
            throw new AssertionError("the module loader ran");
        } catch (LuaException e) {
            System.out.println("refused: " + e.luaMessage());
        }
    }

    static void ffiThroughAnInt64Literal() {
        // LuaJIT opens its FFI for the first 1LL it parses, when no one has, and registers it in package.loaded
        String reach = """
                local ffi = package.loaded.ffi
                if ffi then ffi.cast("int *", 0)[0] = 1 end
                return type(ffi)""";
        try (LuaState lua = LuaState.open(LuaState.Library.PACKAGE)) {
            Object[] parsed = lua.run("local n = loadstring('return 1LL')() " + reach.replace("return ",
                    "return type(n), "));
            Object[] topLevel = lua.run("local n = 2LL " + reach.replace("return ", "return type(n), "));
            System.out.println("kept out: " + parsed[0] + " " + parsed[1] + ", " + topLevel[0] + " " + topLevel[1]);
        }
        try (LuaState lua = LuaState.open(LuaState.Library.BASE)) { // no package.loaded to find it in, nor require
            Object[] r = lua.run("local n = 3LL return type(n), type(package), type(require), type(debug)");
            System.out.println("unreachable: " + String.join(" ", java.util.Arrays.stream(r).map(String::valueOf)
                    .toList()));
        }
    }

    static void exitFromRun() {
        try (LuaState lua = LuaState.open()) {
            lua.run("os.exit(3)");
            throw new AssertionError("os.exit returned");
        } catch (LuaException e) {
            System.out.println("exit: " + e.kind() + " " + e.exitCode() + " " + e.luaMessage());
        }
    }

    static void exitAllowed() {
        LuaState.builder().processExit(true).open().run("os.exit(9)");
    }

    static void exitFromCallback() throws Throwable {
        StringBuilder seen = new StringBuilder();
        try (Callback cb = CallbackType.of("int (*)(int)").builder().fallback(-1)
                .onError(e -> seen.append(e.kind()).append(' ').append(e.exitCode()))
                .create("return function(x) os.exit(x) end")) {
            int result = (int) NativeCallers.downcall(cb).invokeExact(4);
            System.out.println("exit: " + result + " " + seen);
        }
    }

    static void exitFromThread() throws InterruptedException {
        try (LuaThread thread = LuaThread.start("return function() os.exit(5) end", MemorySegment.NULL)) {
            if (!thread.join(Duration.ofSeconds(30))) {
                throw new AssertionError("the thread did not end");
            }
            LuaException error = thread.error().orElseThrow();
            System.out.println("exit: " + thread.status() + " " + error.kind() + " " + error.exitCode());
        }
    }

    @Test
    void shouldRefuseEditedBytecodeInTextGivenToRun() {
        ChildJvm.run(SandboxCrashTest.class, "editedBytecodeThroughRun").assertPrinted("refused: ");
    }

    @Test
    void shouldRefuseEditedBytecodeInTextGivenToACallback() {
        ChildJvm.run(SandboxCrashTest.class, "editedBytecodeThroughCallback").assertPrinted("refused: ");
    }

    @Test
    void shouldRefuseEditedBytecodeInTextGivenToAThread() {
        ChildJvm.run(SandboxCrashTest.class, "editedBytecodeThroughThread").assertPrinted("refused: ");
    }

    @Test
    void shouldKeepTheFfiThatAnInt64LiteralOpensFromUserCodeWithoutIt() {
        ChildJvm.Outcome outcome = ChildJvm.run(SandboxCrashTest.class, "ffiThroughAnInt64Literal");
        outcome.assertPrinted("kept out: cdata nil, cdata nil");
        outcome.assertPrinted("unreachable: cdata nil nil nil");
    }

    @Test
    void shouldTurnOsExitInRunIntoAnError() {
        ChildJvm.run(SandboxCrashTest.class, "exitFromRun").assertPrinted(
                "exit: EXIT OptionalInt[3] chunk:1: os.exit(3) ends this Lua code, not the process");
    }

    @Test
    void shouldRefuseEditedBytecodeHandedToTheModuleLoader() {
        ChildJvm.run(SandboxCrashTest.class, "editedBytecodeThroughTheModuleLoader").assertPrinted(
                "refused: module 'ljasync.sync' needs LuaJIT's ffi library, which this state did not open");
    }

    @Test
    void shouldEndTheProcessOnOsExitWhenTheBuilderAllowsIt() {
        ChildJvm.Outcome outcome = ChildJvm.run(SandboxCrashTest.class, "exitAllowed");
        assertEquals(9, outcome.exitCode(), outcome.output());
    }

    @Test
    void shouldTurnOsExitInACallbackIntoAnError() {
        ChildJvm.run(SandboxCrashTest.class, "exitFromCallback").assertPrinted("exit: -1 EXIT OptionalInt[4]");
    }

    @Test
    void shouldTurnOsExitInAThreadIntoAnError() {
        ChildJvm.run(SandboxCrashTest.class, "exitFromThread").assertPrinted("exit: FAILED EXIT OptionalInt[5]");
    }
}
