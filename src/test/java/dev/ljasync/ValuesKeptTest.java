package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Values arrive as they were sent, or are refused with an error naming the part: nothing lost or changed silently. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ValuesKeptTest {

    @Test
    void shouldDeliverEveryMessageWhenAFinalizerSendsDuringASend() throws Exception {
        // A __gc finalizer runs at an allocation, which an encode makes (buffers, cdata pointers in the interpreter):
        // its send must not write into the buffer of the send it interrupted.
        int n = 20_000;
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            lua.run("""
                    local ch, n = require("ljasync.sync").wrap((...)), select(2, ...)
                    for i = 1, n do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function() ch:send({gc = i, s = "gc" .. i}) end
                      ch:send({i = i, s = string.rep("x", i % 500), t = {i, i + 1, {a = i, b = {i}}}})
                    end
                    collectgarbage()
                    collectgarbage()""", "sends", channel, n);
            assertEquals(2 * n, channel.size());
            Set<Long> sent = new HashSet<>(), finalized = new HashSet<>();
            for (int k = 0; k < 2 * n; k++) {
                @SuppressWarnings("unchecked")
                Map<Object, Object> m = (Map<Object, Object>) channel.receive();
                if (m.containsKey("gc")) {
                    long i = (Long) m.get("gc");
                    assertEquals(Map.of("gc", i, "s", "gc" + i), m);
                    assertTrue(finalized.add(i), "finalizer message " + i + " twice");
                } else {
                    long i = (Long) m.get("i");
                    assertEquals(Map.of("i", i, "s", "x".repeat((int) (i % 500)),
                            "t", Map.of(1L, i, 2L, i + 1, 3L, Map.of("a", i, "b", Map.of(1L, i)))), m);
                    assertTrue(sent.add(i), "message " + i + " twice");
                }
            }
            assertEquals(n, sent.size());
            assertEquals(n, finalized.size());
        }
    }

    @Test
    void shouldDeliverEveryMessageWhenAFinalizerReceivesDuringAReceive() throws Exception {
        int n = 20_000;
        try (LuaState lua = LuaState.open(); Channel main = new Channel(); Channel side = new Channel();
             Channel out = new Channel()) {
            for (int i = 1; i <= n; i++) {
                main.send(Map.of("i", i, "t", List.of(i, "v" + i)));
                side.send(List.of(-i, "side" + i));
            }
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local main, side, out = sync.wrap((...)), sync.wrap((select(2, ...))), sync.wrap((select(3, ...)))
                    local n = select(4, ...)
                    for i = 1, n do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function() out:send(side:receive(0)) end
                      local v = main:receive(0)
                      assert(v.i == i and v.t[1] == i and v.t[2] == "v" .. i, "message " .. i .. " changed")
                    end
                    collectgarbage()
                    collectgarbage()
                    return main:size(), side:size()""", "receives", main, side, out, n);
            assertArrayEquals(new Object[] {0L, 0L}, r);
            assertEquals(n, out.size());
            Set<Long> seen = new HashSet<>();
            for (int k = 0; k < n; k++) {
                @SuppressWarnings("unchecked")
                Map<Object, Object> m = (Map<Object, Object>) out.receive();
                long i = -(Long) m.get(1L);
                assertEquals(Map.of(1L, -i, 2L, "side" + i), m);
                assertTrue(seen.add(i));
            }
        }
    }

    @Test
    void shouldKeepTheOuterSendIntactWhenAFinalizersSendIsRefusedAndCaught() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            Object[] r = lua.run("""
                    local ch = require("ljasync.sync").wrap(...)
                    local refused = 0
                    for i = 1, 2000 do
                      local p = newproxy(true)
                      getmetatable(p).__gc = function()
                        if not pcall(ch.send, ch, {print}) then refused = refused + 1 end
                      end
                      ch:send({i = i, s = string.rep("y", i % 300)})
                    end
                    collectgarbage()
                    return refused""", "refusals", channel);
            assertEquals(2000L, r[0]);
            assertEquals(2000, channel.size());
            for (long i = 1; i <= 2000; i++) {
                assertEquals(Map.of("i", i, "s", "y".repeat((int) (i % 300))), channel.receive());
            }
        }
    }

    @Test
    void shouldRefuseALoneSurrogateNamingTheArgument() {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            var e = assertThrows(IllegalArgumentException.class, () -> lua.run("return ...", "c", "ok", "a\uD800b"));
            assertEquals("argument 2 of the chunk 'c': a String with a lone surrogate (U+D800 at index 1), which has no"
                    + " UTF-8 form; pass well-formed text, or the bytes meant as a byte[]", e.getMessage());
            var e2 = assertThrows(IllegalArgumentException.class,
                    () -> channel.send(Map.of("k", List.of("x", "\uDC00z"))));
            assertTrue(e2.getMessage().startsWith("value.k[2] is a String with a lone surrogate (U+DC00 at index 0)"),
                    e2.getMessage());
            assertEquals(0, channel.size());
            // a surrogate pair is one code point, and crosses as its 4 UTF-8 bytes
            assertArrayEquals(new Object[] {4L, "\uD83D\uDE00"}, lua.run("return #..., ...", "c", "\uD83D\uDE00"));
        }
    }

    @Test
    void shouldRefuseSourceTextAndChunkNamesThatWouldChangeOnTheWayToLua() {
        try (LuaState lua = LuaState.open()) {
            var source = assertThrows(IllegalArgumentException.class, () -> lua.run("return '\uD800'"));
            assertTrue(source.getMessage().startsWith("the Lua source text is a String with a lone surrogate"
                    + " (U+D800 at index 8)"), source.getMessage());
            var name = assertThrows(IllegalArgumentException.class, () -> lua.run("return 1", "c\uDC00", new Object[0]));
            assertTrue(name.getMessage().startsWith("the chunk name is a String with a lone surrogate"),
                    name.getMessage());
            var nul = assertThrows(IllegalArgumentException.class, () -> lua.run("return 1", "a\0b", new Object[0]));
            assertTrue(nul.getMessage().contains("NUL"), nul.getMessage());
            assertThrows(IllegalArgumentException.class, () -> lua.compile("return '\uD800'", "c"));
            assertThrows(IllegalArgumentException.class,
                    () -> CallbackType.of("int (*)(int)").create("return function(n) return '\uD800' end"));
            assertThrows(IllegalArgumentException.class,
                    () -> LuaThread.start("return function() return '\uD800' end", java.lang.foreign.MemorySegment.NULL));
            assertEquals(1L, lua.run("return 1")[0], "nothing ran, and the state is as it was");
        }
    }

    @Test
    void shouldRefuseMapKeysThatAreOneKeyInLua() throws Exception {
        try (Channel channel = new Channel()) {
            Map<Object, Object> numbers = new LinkedHashMap<>();
            numbers.put(1, "int");
            numbers.put(1L, "long");
            numbers.put(1.0, "double");
            var e = assertThrows(IllegalArgumentException.class, () -> channel.send(numbers));
            assertEquals("value has keys 1 (Integer) and 1 (Long), which are one key in Lua (one value would silently"
                    + " replace the other)", e.getMessage());
            Map<Object, Object> strings = new LinkedHashMap<>();
            strings.put("A", "text");
            strings.put(new byte[] {65}, "bytes");
            e = assertThrows(IllegalArgumentException.class, () -> channel.send(List.of(Map.of("x", strings))));
            assertEquals("value[1].x has keys \"A\" (String) and [65] (byte[]), which are one key in Lua (one value"
                    + " would silently replace the other)", e.getMessage());
            Map<Object, Object> zeros = new LinkedHashMap<>();
            zeros.put(0.0, "a");
            zeros.put(-0.0f, "b");
            assertThrows(IllegalArgumentException.class, () -> channel.send(zeros));
            assertEquals(0, channel.size());
            // a key whose value is null is left out, so it collides with nothing
            Map<Object, Object> fine = new LinkedHashMap<>();
            fine.put(2, null);
            fine.put(2.0, "two");
            fine.put("2", "string two");
            channel.send(fine);
            assertEquals(Map.of(2L, "two", "2", "string two"), channel.receive());
        }
    }

    @Test
    void shouldCopySharedTablesOnceAndKeepThemShared() throws Exception {
        // 40 levels of v = {a = v, b = v}: 2^40 paths, 40 tables
        Object v = "leaf";
        for (int i = 0; i < 40; i++) {
            v = Map.of("a", v, "b", v);
        }
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            channel.send(v);
            Object back = channel.receive();
            for (int i = 0; i < 39; i++) {
                Map<?, ?> m = (Map<?, ?>) back;
                assertSame(m.get("a"), m.get("b"), "one Map, held twice");
                back = m.get("a");
            }
            assertEquals(Map.of("a", "leaf", "b", "leaf"), back);
            back = ((Map<?, ?>) back).get("a");
            assertEquals("leaf", back);
            channel.send(v);
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local ch = sync.wrap(...)
                    local function count(t, seen)
                      if type(t) ~= "table" then return 0 end
                      assert(t.a == t.b, "one table, held twice")
                      if seen[t] then return 0 end
                      seen[t] = true
                      return 1 + count(t.a, seen)
                    end
                    local got = ch:receive(0)
                    local tables = count(got, {})
                    -- and back from Lua, built there: a table held in several places, at several depths
                    local x = {1, 2}
                    local w = {x, x, {y = x, z = {x}}}
                    for i = 1, 40 do w = {a = w, b = w} end
                    ch:send(w)
                    ch:send({x, {x}, x})
                    return tables""", "dag", channel);
            assertEquals(40L, r[0]);
            Object w = channel.receive();
            for (int i = 0; i < 40; i++) {
                assertSame(((Map<?, ?>) w).get("a"), ((Map<?, ?>) w).get("b"));
                w = ((Map<?, ?>) w).get("a");
            }
            Map<?, ?> inner = (Map<?, ?>) w;
            Object x = inner.get(1L);
            assertEquals(Map.of(1L, 1L, 2L, 2L), x);
            assertSame(x, inner.get(2L));
            assertSame(x, ((Map<?, ?>) inner.get(3L)).get("y"));
            assertSame(x, ((Map<?, ?>) ((Map<?, ?>) inner.get(3L)).get("z")).get(1L));
            Map<?, ?> three = (Map<?, ?>) channel.receive();
            assertSame(three.get(1L), three.get(3L));
            assertSame(three.get(1L), ((Map<?, ?>) three.get(2L)).get(1L));
        }
    }

    @Test
    void shouldCopySharedTablesOnceBetweenStates() {
        try (LuaState a = LuaState.open(); LuaState b = LuaState.open(); Channel channel = new Channel()) {
            a.run("""
                    local ch = require("ljasync.sync").wrap(...)
                    local v = {"leaf"}
                    for i = 1, 40 do v = {a = v, b = v, [i] = v} end
                    ch:send(v)""", "send", channel);
            Object[] r = b.run("""
                    local v = require("ljasync.sync").wrap(...):receive(0)
                    local n = 0
                    while v.a do
                      assert(v.a == v.b and v.a == v[40 - n], "one table, held three times")
                      n = n + 1
                      v = v.a
                    end
                    return n, v[1]""", "receive", channel);
            assertArrayEquals(new Object[] {40L, "leaf"}, r);
        }
    }

    @Test
    void shouldRefuseAMessageLargerThanTheLimit() {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            byte[] megabyte = new byte[1 << 20];
            List<byte[]> many = java.util.Collections.nCopies(300, megabyte);
            var e = assertThrows(IllegalArgumentException.class, () -> channel.send(many));
            assertEquals("value[256] makes the message larger than 268435456 bytes (256 MB), the most a message may"
                    + " hold", e.getMessage());
            var lua256 = assertThrows(LuaException.class, () -> lua.run("""
                    local ch = require("ljasync.sync").wrap(...)
                    local s, t = string.rep("x", 2^20), {}
                    for i = 1, 300 do t[i] = s end
                    ch:send(t)""", "big", channel));
            assertEquals("big:4: ljasync.sync: cannot send value[256]: the message would be larger than 268435456"
                    + " bytes (256 MB), the most a message may hold", lua256.luaMessage());
            assertEquals(0, channel.size());
            assertEquals(4L, lua.run("""
                    local ch = require("ljasync.sync").wrap(...)
                    ch:send({1, 2, 3, 4})
                    return #ch:receive()""", "after", channel)[0], "the state goes on sending");
        }
    }

    @Test
    void shouldReturnALightUserdataAsAZeroLengthSegment() {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(16);
            MemorySegment back = (MemorySegment) lua.run("return ...", "c", block)[0];
            assertEquals(block.address(), back.address());
            assertEquals(0, back.byteSize(), "reading through it takes a reinterpret");
        }
    }
}
