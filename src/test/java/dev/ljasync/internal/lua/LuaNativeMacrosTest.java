package dev.ljasync.internal.lua;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static dev.ljasync.internal.lua.LuaNative.*;
import static org.junit.jupiter.api.Assertions.*;

/** The macros of lua.h and lauxlib.h, written once in LuaNative, on a raw state with the standard libraries. */
class LuaNativeMacrosTest {

    private MemorySegment L;

    @BeforeEach
    void open() {
        L = luaL_newstate();
        lua_pushcfunction(L, luaopen(""));
        lua_pcall(L, 0, 0, 0);
        lua_pushcfunction(L, luaopen("string"));
        lua_pcall(L, 0, 0, 0);
    }

    @AfterEach
    void close() {
        lua_close(L);
    }

    @Test
    void shouldRunAChunkWithDostringAndReadItsResults() {
        assertEquals(LUA_OK, luaL_dostring(L, "answer = 6 * 7 return 'x' .. answer, nil"));
        assertEquals(2, lua_gettop(L));
        assertEquals("x42", lua_tostring(L, 1));
        assertTrue(lua_isnil(L, 2));
        assertTrue(lua_isnoneornil(L, 3));
        lua_pop(L, 2);
        assertEquals(0, lua_gettop(L));
        lua_getglobal(L, "answer");
        assertEquals(42, lua_tointeger(L, -1));
        assertEquals("number", luaL_typename(L, -1));
        lua_pop(L, 1);
    }

    @Test
    void shouldReportASyntaxErrorFromDostring() {
        assertEquals(LUA_ERRSYNTAX, luaL_dostring(L, "return +"));
        assertTrue(lua_tostring(L, -1).contains("unexpected symbol"), lua_tostring(L, -1));
        lua_pop(L, 1);
    }

    @Test
    void shouldMakeTablesAndGlobals() {
        lua_newtable(L);
        assertTrue(lua_istable(L, -1));
        lua_setglobal(L, "t");
        assertEquals(LUA_OK, luaL_dostring(L, "t[1] = 'abc' return #t, type(t)"));
        assertEquals(1, lua_tointeger(L, 1));
        assertEquals("table", lua_tostring(L, 2));
        lua_settop(L, 0);
        lua_getglobal(L, "t");
        assertEquals(1, lua_strlen(L, -1));
        lua_getglobal(L, "print");
        assertTrue(lua_isfunction(L, -1));
        lua_register(L, "openString", luaopen("string"));
        lua_getglobal(L, "openString");
        assertTrue(lua_isfunction(L, -1));
        lua_settop(L, 0);
    }

    @Test
    void shouldReachTheRegistryAndCountMemory() {
        lua_getregistry(L);
        assertTrue(lua_istable(L, -1));
        luaL_getmetatable(L, "no such type");
        assertTrue(lua_isnil(L, -1));
        lua_settop(L, 0);
        assertTrue(lua_getgccount(L) > 0);
        assertEquals(lua_getgccount(L), memoryUsed(L) / 1024);
        assertEquals(LUA_GLOBALSINDEX - 2, lua_upvalueindex(2));
    }
}
