package dev.ljasync;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class JavaObjectTest {

    private final LuaState lua = LuaState.open();

    @AfterEach
    void close() {
        lua.close();
    }

    @Test
    void shouldGiveBackTheSameObject() {
        Object o = new Object();
        assertSame(o, lua.run("return ...", "chunk", o)[0]);
        List<String> names = new ArrayList<>();
        Object[] r = lua.run("local l = ...; l:add('lua'); return l:size(), l:get(0)", "chunk", JavaObject.of(names, List.class));
        assertArrayEquals(new Object[] {1L, "lua"}, r);
    }
}
