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

/** Values arrive as they were sent, or are refused with an error naming the part: nothing is lost or changed silently. */
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
            assertEquals("argument 2 of chunk c: a String with a lone surrogate (U+D800 at index 1), which has no"
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
    void shouldReturnALightUserdataAsAZeroLengthSegment() {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(16);
            MemorySegment back = (MemorySegment) lua.run("return ...", "c", block)[0];
            assertEquals(block.address(), back.address());
            assertEquals(0, back.byteSize(), "reading through it takes a reinterpret");
        }
    }
}
