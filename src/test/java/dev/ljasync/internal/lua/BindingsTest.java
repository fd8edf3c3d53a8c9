package dev.ljasync.internal.lua;

import dev.ljasync.internal.bindings.LibLuaJit;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BindingsTest {

    private static List<String> configuredFunctions() throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("jextract-config/includes.txt"))) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 2 && words[0].equals("--include-function")) {
                names.add(words[1]);
            }
        }
        return names;
    }

    /** The address of a function through the generated bindings: name$address(), or address() of a variadic invoker. */
    private static MemorySegment boundAddress(String name) throws ReflectiveOperationException {
        try {
            Method plain = LibLuaJit.class.getMethod(name + "$address");
            return (MemorySegment) plain.invoke(null);
        } catch (NoSuchMethodException variadic) {
            Class<?> invoker = Class.forName(LibLuaJit.class.getName() + "$" + name);
            return (MemorySegment) invoker.getMethod("address").invoke(null);
        }
    }

    @Test
    void shouldResolveEveryConfiguredFunctionThatTheLibraryExports() throws Exception {
        List<String> functions = configuredFunctions();
        assertEquals(148, functions.size(), "lua.h, lauxlib.h, lualib.h and luajit.h declare 148 functions");
        LuaJitLibrary.file(); // loads the library
        List<String> notExported = new ArrayList<>();
        for (String name : functions) {
            var exported = LuaJitLibrary.lookup().find(name);
            if (exported.isEmpty()) {
                notExported.add(name);
                continue;
            }
            MemorySegment bound;
            try {
                bound = boundAddress(name);
            } catch (InvocationTargetException e) {
                throw new AssertionError(name + " does not resolve through the bindings", e.getCause());
            }
            assertEquals(exported.get().address(), bound.address(), name);
        }
        assertEquals(List.of("lua_setlevel"), notExported, "only lua_setlevel is declared but not exported");
    }

    @Test
    void shouldBindTheTypedefsStructsAndConstantsTheIssueNames() throws Exception {
        String pkg = LibLuaJit.class.getPackageName() + ".";
        for (String type : List.of("lua_CFunction", "lua_Reader", "lua_Writer", "lua_Alloc", "lua_Hook",
                "lua_Debug", "luaL_Reg", "luaL_Buffer")) {
            assertNotNull(Class.forName(pkg + type), type);
        }
        assertEquals(-10000, LibLuaJit.LUA_REGISTRYINDEX());
        assertEquals(-10002, LibLuaJit.LUA_GLOBALSINDEX());
        assertEquals(-1, LibLuaJit.LUA_MULTRET());
        assertEquals(2, LibLuaJit.LUA_ERRRUN());
        assertEquals(20100, LibLuaJit.LUAJIT_VERSION_NUM());
        assertTrue(LuaNative.RUNTIME_VERSION.startsWith("LuaJIT 2.1"), LuaNative.RUNTIME_VERSION);
    }

    @Test
    void shouldLoadTheLibraryFileTheDynamicLinkerFinds() {
        Path file = LuaJitLibrary.file();
        assertTrue(file.isAbsolute(), file.toString());
        String named = System.getProperty(LuaJitLibrary.PROPERTY, System.getenv(LuaJitLibrary.ENVIRONMENT));
        if (named == null || named.isBlank()) {
            assertTrue(file.getFileName().toString().startsWith("libluajit-5.1.so"), file.toString());
        } else {
            assertEquals(Path.of(named).toAbsolutePath().normalize(), file.normalize());
        }
        assertTrue(Files.isRegularFile(file), file.toString());
    }
}
