package dev.ljasync;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A fresh state with all libraries for each test, closed after it. */
abstract class LuaStateFixture {

    protected LuaState lua;

    @BeforeEach
    void openState() {
        lua = LuaState.open();
    }

    @AfterEach
    void closeState() {
        lua.close();
    }

    /** The state still runs code after whatever the test did to it. */
    protected void assertUsable() {
        assertEquals(2L, lua.run("return 1 + 1")[0]);
    }
}
