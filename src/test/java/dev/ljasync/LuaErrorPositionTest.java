package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/** The chunk and line of a LuaException come from Lua's debug information, whatever the chunk's name holds. */
class LuaErrorPositionTest {

    @ParameterizedTest
    @ValueSource(strings = {"x:99: y", "a\nb", "x=y", "=eq", "1: 2: 3", "[string \"z\"]:7", "name with spaces",
            "ünïcödé", "@file.lua"})
    void shouldGiveTheLineOfARuntimeErrorWhateverTheChunkIsNamed(String name) {
        String shown = name.startsWith("=") || name.startsWith("@") ? name.substring(1) : name;
        try (LuaState lua = LuaState.open()) {
            var e = assertThrows(LuaException.class, () -> lua.run("local x = 1\n\nerror('boom')", name));
            assertEquals(shown, e.chunkName());
            assertEquals(3, e.line());
            assertEquals(shown + ":3: boom", e.luaMessage());
            var v = assertThrows(LuaException.class, () -> lua.run("local t\n\n\nreturn t.x", name));
            assertEquals(shown, v.chunkName());
            assertEquals(4, v.line());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x:99: y", "a\nb", "x=y", "=eq", "@file.lua"})
    void shouldGiveTheLineOfASyntaxErrorWhateverTheChunkIsNamed(String name) {
        String shown = name.startsWith("=") || name.startsWith("@") ? name.substring(1) : name;
        try (LuaState lua = LuaState.open()) {
            var e = assertThrows(LuaException.class, () -> lua.run("local x = 1\n\nx = = 2", name));
            assertEquals(LuaException.Kind.SYNTAX, e.kind());
            assertEquals(shown, e.chunkName());
            assertEquals(3, e.line());
        }
    }

    @Test
    void shouldShortenLongNamesAsLuaDoes() {
        try (LuaState lua = LuaState.open()) {
            String longName = "n".repeat(70);
            var e = assertThrows(LuaException.class, () -> lua.run("\nerror('x')", longName));
            assertEquals("n".repeat(59), e.chunkName());
            assertEquals(2, e.line());
            var s = assertThrows(LuaException.class, () -> lua.run("\n)", longName));
            assertEquals("n".repeat(59), s.chunkName());
            assertEquals(2, s.line());
            String path = "d/".repeat(40) + "f.lua";
            var f = assertThrows(LuaException.class, () -> lua.run("\n)", "@" + path));
            assertEquals("..." + path.substring(path.length() - 56), f.chunkName(), "the last 56 bytes");
            assertEquals(2, f.line());
        }
    }

    @Test
    void shouldGiveThePositionThatTheErrorLevelNames() {
        try (LuaState lua = LuaState.open()) {
            lua.run("function check(v)\n  if not v then error('bad value', 2) end\nend", "lib:1: x");
            var e = assertThrows(LuaException.class, () -> lua.run("\n\n\ncheck(false)", "user"));
            assertEquals("user", e.chunkName());
            assertEquals(4, e.line());
            var inLib = assertThrows(LuaException.class, () -> lua.run("check(nil, error('here'))", "c"));
            assertEquals(1, inLib.line());
            // a chunk that Lua code loads itself, named by its source
            var loaded = assertThrows(LuaException.class, () -> lua.run("assert(load('local a\\nerror(\"deep\")'))()"));
            assertEquals("[string \"local a...\"]", loaded.chunkName());
            assertEquals(2, loaded.line());
        }
    }

    @Test
    void shouldGiveNoPositionToAnErrorRaisedWithout() {
        try (LuaState lua = LuaState.open()) {
            var zero = assertThrows(LuaException.class, () -> lua.run("error('x:5: looks like a position', 0)"));
            assertNull(zero.chunkName());
            assertEquals(-1, zero.line());
            var table = assertThrows(LuaException.class, () -> lua.run("error({})"));
            assertNull(table.chunkName());
            assertEquals(-1, table.line());
        }
    }

    @Test
    void shouldGiveJavaFunctionErrorsThePositionOfTheirLuaCaller() {
        try (LuaState lua = LuaState.open()) {
            lua.register("fail", args -> {
                throw new IllegalStateException("no");
            });
            var e = assertThrows(LuaException.class, () -> lua.run("local a = 1\nfail()", "caller:3: z"));
            assertEquals(LuaException.Kind.JAVA, e.kind());
            assertEquals("caller:3: z", e.chunkName());
            assertEquals(2, e.line());
            // a Lua error that came back through Java keeps the position where it was raised
            lua.run("function inner()\n\n  error('inside')\nend", "inner");
            lua.register("relay", args -> lua.call("inner"));
            var relayed = assertThrows(LuaException.class, () -> lua.run("relay()", "outer"));
            assertEquals("inner", relayed.chunkName());
            assertEquals(3, relayed.line());
        }
    }

    @Test
    void shouldGiveCallbackErrorsTheirPosition() throws Throwable {
        try (Callback cb = CallbackType.of("int (*)(int)").builder().onError(e -> {}).create(
                "return function(x)\n  if x > 0 then\n    error('positive')\n  end\n  return x\nend")) {
            java.lang.invoke.MethodHandle call = java.lang.foreign.Linker.nativeLinker().downcallHandle(cb.funcptr(),
                    cb.type().descriptor());
            assertEquals(0, (int) call.invokeExact(1));
            LuaException e = cb.lastError().orElseThrow();
            assertEquals(3, e.line());
        }
    }
}
