package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every code block of lj-async's README runs here, in a LuaState, and does what its comments say. */
@Timeout(60)
class LjAsyncReadmeTest {

    /** Runs a Lua file of src/test/resources/lj-async in a state whose print goes to {@code lines}. */
    static Object[] run(String file, List<String> lines, Object... args) {
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            return lua.run(resource(file), file, args);
        }
    }

    static String resource(String file) {
        try (InputStream in = LjAsyncReadmeTest.class.getResourceAsStream("/lj-async/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldRunTheLuaExampleOfThisReadme() throws IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int section = readme.indexOf("## From lj-async");
        int start = readme.indexOf("```lua\n", section) + "```lua\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        List<String> lines = new CopyOnWriteArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run(block);
        }
        assertEquals(List.of("123", "true\t42"), lines);
    }

    /**
     * The Lua blocks of this library's README beyond lj-async's (the Lua side of each part): each prints what its
     * comments say.
     */
    @Test
    void shouldRunTheLuaSideExamplesOfThisReadme() throws IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        assertEquals(List.of("true\t5", "true\t42", "false\ttask:1: no 7"), printed(luaBlock(readme, "## Executor", 0)));
        assertEquals(List.of("1\t2\t3\t3\t0"), printed(luaBlock(readme, "### Queued callbacks", 0)));
        assertEquals(List.of("2\t0\t5", "3\t1\t0\t0"), printed(luaBlock(readme, "## Seeing what runs", 0)));
        assertEquals(List.of("10\t10"), printed(luaBlock(readme, "## From lj-async", 1)));
    }

    /** The {@code index}th Lua block (from 0) of the README's section {@code heading}. */
    private static String luaBlock(String readme, String heading, int index) {
        int at = readme.indexOf("\n" + heading + "\n");
        assertTrue(at >= 0, heading);
        for (int i = 0; i <= index; i++) {
            at = readme.indexOf("```lua\n", at) + "```lua\n".length();
        }
        int next = readme.indexOf("\n## ", readme.indexOf("\n" + heading + "\n") + 1);
        assertTrue(at < next, "the section " + heading + " has a Lua block " + index);
        return readme.substring(at, readme.indexOf("```", at));
    }

    private static List<String> printed(String block) {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (LuaState lua = LuaState.builder().output(lines::add).open()) {
            lua.run(block);
        }
        return lines;
    }

    @Test
    void shouldPrintWhatTheCallbackIsCalledWith() {
        List<String> lines = new CopyOnWriteArrayList<>();
        run("readme_callback.lua", lines);
        assertEquals(List.of("123"), lines);
    }

    @Test
    void shouldCopyTheFfiUpvalueThatLjAsyncCouldNot() {
        Object[] results = run("readme_upvalue.lua", new CopyOnWriteArrayList<>());
        assertEquals(1L, results[0]);
        String error = (String) results[1];
        // ffi was there (no "attempt to index upvalue 'ffi' (a nil value)"): the call failed at the README's cast
        assertTrue(error.startsWith("readme_upvalue.lua:11: bad argument #1 to 'cast' (invalid C type)"), error);
        assertTrue(error.contains("stack traceback"), error);
    }

    @Test
    void shouldRunAFunctionThatRequiresTheFfiItself() {
        Object[] results = run("readme_rerequire.lua", new CopyOnWriteArrayList<>());
        assertEquals(1L, results[0]);
        String error = (String) results[1];
        assertTrue(error.startsWith("readme_rerequire.lua:10: bad argument #1 to 'cast' (invalid C type)"), error);
    }

    @Test
    void shouldWriteThroughTheUserdataWithACastLuaJitTakes() {
        try (LuaState lua = LuaState.open()) {
            Object[] results = lua.run("""
                    local MyCallback_t = require "lj-async.callback"("void(*)(void *)")
                    local ffi = require "ffi"
                    local MyCallback = MyCallback_t(function(userdata)
                      userdata = ffi.cast("int *", userdata)
                      userdata[0] = userdata[0] + 41
                    end)
                    local cell = ffi.new("int[1]")
                    MyCallback:funcptr()(cell)
                    MyCallback:funcptr()(cell)
                    MyCallback:free()
                    return cell[0]""");
            assertEquals(82L, results[0]);
        }
    }
}
