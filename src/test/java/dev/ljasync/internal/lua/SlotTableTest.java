package dev.ljasync.internal.lua;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Numbers name values until removed; a slot used again never answers to an old number. */
class SlotTableTest {

    @Test
    void shouldFindNothingUnderAStaleNumberWhenTheSlotIsUsedAgain() {
        SlotTable<String> table = new SlotTable<>();
        long a = table.add("a");
        long b = table.add("b");
        table.remove(a);
        long c = table.add("c"); // a's slot, under a new number
        assertNotEquals(a, c);
        assertNull(table.get(a));
        assertEquals("b", table.get(b));
        assertEquals("c", table.get(c));
        table.remove(a); // stale: nothing happens
        assertEquals("c", table.get(c));
        assertEquals(2, table.size());
    }

    @Test
    void shouldKeepNumbersExactAsLuaNumbersAndRefuseUnknownOnes() {
        SlotTable<Integer> table = new SlotTable<>();
        long last = 0;
        for (int i = 0; i < 100_000; i++) {
            last = table.add(i);
            table.remove(last);
        }
        assertTrue(last > 0 && last < 1L << 53, "below 2^53: " + last);
        assertNull(table.get(-1));
        assertNull(table.get(12345));
        assertEquals(0, table.size());
    }
}
