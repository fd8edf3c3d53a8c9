package dev.ljasync;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** LuaTable as a Map: sequences, and tables that hold themselves (copies keep Lua's cycles). */
class LuaTableTest {

    @Test
    void shouldPrintHashAndCompareATableThatHoldsItself() {
        try (LuaState lua = LuaState.open()) {
            String source = """
                    local t = {name = "ring", list = {}}
                    t.list[1] = t
                    t.self = t
                    return t""";
            LuaTable a = (LuaTable) lua.run(source)[0];
            LuaTable b = (LuaTable) lua.run(source)[0];
            assertSame(a, a.get("self"));
            assertSame(a, ((LuaTable) a.get("list")).get(1L));
            String text = a.toString();
            assertTrue(text.contains("name=ring") && text.contains("(cycle)"), text);
            assertEquals(a.hashCode(), b.hashCode());
            assertEquals(a, b, "two copies of one cyclic table have the same pairs");
            b.put("name", "other");
            assertNotEquals(a, b);
        }
    }

    @Test
    void shouldGiveTheValuesOfASequence() {
        LuaTable table = new LuaTable();
        table.put(1L, "a");
        table.put(2L, "b");
        assertTrue(table.isSequence());
        assertEquals(List.of("a", "b"), table.toList());
        table.put("x", 1L);
        assertFalse(table.isSequence());
        var e = assertThrows(IllegalStateException.class, table::toList);
        assertTrue(e.getMessage().contains("has no key 3 but has key \"x\""), e.getMessage());
    }
}
