package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/** What values cross a channel, exactly, between Lua states and Java; and what is refused, with which error. */
class ChannelValuesTest {

    // The same values, made in each state: nil and every other type, edge numbers, 64-bit integers, binary strings,
    // nested and mixed tables, and tables nested as deep as allowed (100).
    private static final String CASES = """
            local ffi = require("ffi")
            local cases, n = {}, 0
            local function add(v) n = n + 1; cases[n] = v end
            add(nil); add(true); add(false)
            for _, x in ipairs({0, -0.0, 1, -1, 1.5, 2^53, -2^53, 2^53 + 2, 2^63, 1e308, 5e-324, math.huge,
                                -math.huge, 0/0, math.pi}) do add(x) end
            add(ffi.new("int64_t", 0)); add(-9223372036854775807LL - 1); add(9223372036854775807LL); add(-1LL)
            add(0ULL); add(18446744073709551615ULL); add(9007199254740993ULL)
            add(""); add("\\0"); add("\\0\\1\\255 bytes \\128"); add("héllo, wörld")
            local bytes = {}
            for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
            add(string.rep(table.concat(bytes), 4096)) -- 1 MB of every byte value
            add({}); add({1, 2, 3}); add({1, nil, 3}); add({"a", {"b", {"c"}}})
            add({x = 1, y = {z = {true, false, "w"}}, [1] = "one", [2.5] = "two and a half", [true] = "yes",
                 [false] = "no", [-1] = -1, [2^53] = "big key", [""] = "empty key",
                 i = 7LL, u = 7ULL, s = "\\0\\255"})
            local deep = {level = 1}
            local t = deep
            for level = 2, 100 do t.next = {level = level}; t = t.next end
            add(deep)
            return cases, n""";

    // Deep equality that tells -0.0 from 0, NaN from NaN, int64_t from uint64_t from numbers
    private static final String SAME = """
            local ffi = require("ffi")
            local function same(a, b)
              if type(a) ~= type(b) then return false end
              if type(a) == "number" then
                if a ~= a then return b ~= b end
                return a == b and 1 / a == 1 / b
              elseif type(a) == "cdata" then
                return tostring(ffi.typeof(a)) == tostring(ffi.typeof(b)) and a == b
              elseif type(a) == "table" then
                for k, v in pairs(a) do if not same(v, rawget(b, k)) then return false end end
                for k in pairs(b) do if rawget(a, k) == nil then return false end end
                return true
              end
              return a == b
            end
            """;

    @Test
    void shouldCopyEveryKindOfValueExactlyFromOneStateToAnother() {
        try (LuaState sender = LuaState.open(); LuaState receiver = LuaState.open(); Channel channel = new Channel()) {
            Object[] sent = sender.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    local cases, n = (function() %s end)()
                    for i = 1, n do assert(channel:send(cases[i])) end
                    return n""".formatted(CASES), "sender", channel);
            Object[] received = receiver.run(SAME + """
                    local channel = require("ljasync.sync").wrap(...)
                    local cases, n = (function() %s end)()
                    for i = 1, n do
                      local v, err = channel:receive(0)
                      assert(err == nil, err)
                      if not same(cases[i], v) then
                        error("value " .. i .. " changed: " .. tostring(cases[i]) .. " became " .. tostring(v))
                      end
                    end
                    return n, channel:size()""".formatted(CASES), "receiver", channel);
            assertEquals(sent[0], received[0]);
            assertEquals(36L, sent[0], "the number of cases");
            assertEquals(0L, received[1]);
        }
    }

    @Test
    void shouldGiveJavaTheValuesLuaSends() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    for _, v in ipairs({true, 42, 0.5, -0.0, 2^63, -9223372036854775807LL - 1, 5ULL,
                                        18446744073709551615ULL, "text", "\\255\\0", {1, 2, x = {y = "z"}}}) do
                      channel:send(v)
                    end
                    channel:send(nil)""", "send", channel);
            assertEquals(true, channel.receive());
            assertEquals(42L, channel.receive());
            assertEquals(0.5, channel.receive());
            assertEquals(-0.0, channel.receive());
            assertEquals(0x1p63, channel.receive(), "beyond long's range: a Double");
            assertEquals(Long.MIN_VALUE, channel.receive());
            assertEquals(5L, channel.receive());
            assertEquals(new BigInteger("18446744073709551615"), channel.receive());
            assertEquals("text", channel.receive());
            assertArrayEquals(new byte[] {(byte) 0xff, 0}, (byte[]) channel.receive(), "not UTF-8: the bytes");
            Map<Object, Object> expected = new LinkedHashMap<>();
            expected.put(1L, 1L);
            expected.put(2L, 2L);
            expected.put("x", Map.of("y", "z"));
            assertEquals(expected, channel.receive());
            assertNull(channel.receive());
            assertEquals(0, channel.size());
        }
    }

    @Test
    void shouldGiveLuaTheValuesJavaSends() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            Map<Object, Object> table = new HashMap<>();
            table.put("list", List.of("a", "b"));
            table.put(3, Map.of(true, 1.5f));
            table.put("skipped", null);
            Object[] values = {null, false, 7, (short) -3, (byte) 1, 1L << 53, (1L << 53) + 1, Long.MIN_VALUE, 0.25,
                    BigInteger.TWO.pow(64).subtract(BigInteger.ONE), BigInteger.valueOf(-2), BigInteger.ZERO, "ünï",
                    new byte[] {0, (byte) 200}, table, List.of(), Arrays.asList(1, null, 3)};
            for (Object value : values) {
                channel.send(value);
            }
            Object[] r = lua.run("""
                    local ffi = require("ffi")
                    local channel = require("ljasync.sync").wrap(...)
                    local checks = {}
                    local function check(ok) checks[#checks + 1] = ok and true or false end
                    local function int64(v) return type(v) == "cdata" and ffi.istype("int64_t", v) end
                    local function uint64(v) return type(v) == "cdata" and ffi.istype("uint64_t", v) end
                    local v
                    v = channel:receive(); check(v == nil)
                    v = channel:receive(); check(v == false)
                    v = channel:receive(); check(v == 7)
                    v = channel:receive(); check(v == -3)
                    v = channel:receive(); check(v == 1)
                    v = channel:receive(); check(v == 2^53, "a number up to 2^53")
                    v = channel:receive(); check(int64(v) and v == 9007199254740993LL)
                    v = channel:receive(); check(int64(v) and v == -9223372036854775807LL - 1)
                    v = channel:receive(); check(v == 0.25)
                    v = channel:receive(); check(uint64(v) and v == 18446744073709551615ULL)
                    v = channel:receive(); check(int64(v) and v == -2LL)
                    v = channel:receive(); check(uint64(v) and v == 0ULL)
                    v = channel:receive(); check(v == "ünï")
                    v = channel:receive(); check(v == "\\0\\200")
                    v = channel:receive()
                    check(v.list[1] == "a" and v.list[2] == "b" and #v.list == 2 and v[3][true] == 1.5
                          and v.skipped == nil)
                    v = channel:receive(); check(type(v) == "table" and next(v) == nil)
                    v = channel:receive(); check(v[1] == 1 and v[2] == nil and v[3] == 3)
                    return unpack(checks)""", "receive", channel);
            Object[] all = new Object[values.length];
            Arrays.fill(all, true);
            assertArrayEquals(all, r);
        }
    }

    @Test
    void shouldRoundTripJavaValuesThroughLua() throws Exception {
        try (LuaState lua = LuaState.open(); Channel there = new Channel(); Channel back = new Channel()) {
            Map<Object, Object> nested = new LinkedHashMap<>();
            nested.put("name", "job");
            nested.put("sizes", Map.of(1L, 10L, 2L, 20L));
            nested.put(5L, Map.of("deeper", Map.of("deepest", true)));
            List<Object> values = List.of(true, 0L, -1L, 1L << 53, 0.1, Double.NaN, Double.NEGATIVE_INFINITY,
                    Long.MAX_VALUE, Long.MIN_VALUE, BigInteger.TWO.pow(64).subtract(BigInteger.ONE), "", "text",
                    nested);
            for (Object value : values) {
                there.send(value);
            }
            lua.run("""
                    local sync = require("ljasync.sync")
                    local there, back = sync.wrap((...)), sync.wrap((select(2, ...)))
                    while there:size() > 0 do back:send(there:receive()) end""", "echo", there, back);
            for (Object value : values) {
                assertEquals(value, back.receive());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            function()  end                   | value: it is a function, which cannot be copied into another state
            {jobs = {1, print}}               | value.jobs[2]: it is a function
            {["a key"] = {f = print}}         | value["a key"].f: it is a function
            coroutine.create(print)           | value: it is a thread, which cannot be copied
            io.stdout                         | value: it is a userdata, which cannot be copied
            {newproxy()}                      | value[1]: it is a userdata
            light                             | value: it is a userdata
            ffi.new("bool", true)             | value: it is a cdata of type ctype<bool>; of cdata, int64_t and uint64_t
            ffi.typeof("int")                 | value: it is a cdata of type ctype<int>
            {n = ffi.new("int32_t", 1)}       | value.n: it is a cdata of type ctype<int>
            sync.channel()                    | value: it is a channel, which is shared, not copied: send its handle()
            {lock = sync.mutex()}             | value.lock: it is a mutex, which is shared
            cyclic                            | value.child.parent: it is a table that contains itself
            {[{}] = 1}                        | value: it has a key of type table
            {[1LL] = 1}                       | value: it has a key of type cdata
            deep                              | value.next.next
            """)
    void shouldRefuseAValueThatCannotCrossBeforeSendingAnything(String value, String error) {
        try (LuaState lua = LuaState.open(); Arena arena = Arena.ofConfined(); Channel channel = new Channel()) {
            MemorySegment light = arena.allocate(8);
            LuaException e = assertThrows(LuaException.class, () -> lua.run("""
                    local ffi, sync = require("ffi"), require("ljasync.sync")
                    local channel, light = sync.wrap((...)), select(2, ...)
                    local cyclic = {child = {}}
                    cyclic.child.parent = cyclic
                    local deep = {}
                    local t = deep
                    for _ = 1, 100 do t.next = {}; t = t.next end -- 101 tables
                    channel:send(%s)""".formatted(value), "bad", channel, light));
            assertTrue(e.luaMessage().startsWith("bad:8: ljasync.sync: cannot send " + error), e.luaMessage());
            if (value.equals("deep")) {
                assertTrue(e.luaMessage().endsWith("tables nest more than 100 deep"), e.luaMessage());
            }
            assertEquals(0, channel.size(), "nothing was sent");
            // the encoder is in order again for the next value
            lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    local t = {a = {1, 2}}
                    channel:send(t)
                    assert(channel:receive().a[2] == 2)""", "again", channel);
        }
    }

    @Test
    void shouldRefuseAJavaValueThatCannotCrossBeforeSendingAnything() {
        Map<Object, Object> cyclic = new HashMap<>();
        cyclic.put("child", Map.of("parent", cyclic));
        Map<Object, Object> nullKey = new HashMap<>();
        nullKey.put(null, 1);
        Map<Object, Object> deep = new HashMap<>();
        Map<Object, Object> t = deep;
        for (int i = 0; i < 100; i++) {
            Map<Object, Object> next = new HashMap<>();
            t.put("next", next);
            t = next;
        }
        Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
        cases.put("value is a java.lang.Object, which cannot cross a channel", Object::new);
        cases.put("value.jobs[2] is a java.lang.Thread", () -> Map.of("jobs", List.of(1, Thread.currentThread())));
        cases.put("value is a dev.ljasync.Mutex, which cannot cross", Mutex::new);
        cases.put("value.child.parent is a table that contains itself", () -> cyclic);
        cases.put("value has a null key", () -> nullKey);
        cases.put("value has a NaN key", () -> Map.of(Double.NaN, 1));
        cases.put("value has key 1152921504606846976, beyond", () -> Map.of(1L << 60, 1));
        cases.put("value has a key of class java.util.ArrayList", () -> Map.of(new ArrayList<>(), 1));
        cases.put("value[\"a b\"] is 18446744073709551616, which fits neither", () -> Map.of("a b",
                BigInteger.TWO.pow(64)));
        cases.put("value.next.next", () -> deep);
        try (Channel channel = new Channel()) {
            cases.forEach((error, value) -> {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> channel.send(value.get()));
                assertTrue(e.getMessage().startsWith(error), e.getMessage());
                assertEquals(0, channel.size(), "nothing was sent");
            });
        }
    }

    @Test
    void shouldSendValuesFromAStateWithoutTheStringLibrary() {
        try (LuaState lua = LuaState.open(LuaState.Library.PACKAGE, LuaState.Library.FFI);
             Channel channel = new Channel()) {
            Object[] r = lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    channel:send({name = "x", [2] = {true}})
                    local v = channel:receive()
                    local ok, err = pcall(channel.send, channel, {["a b"] = print})
                    return v.name, v[2][1], err""", "minimal", channel);
            assertEquals("x", r[0]);
            assertEquals(true, r[1]);
            assertTrue(((String) r[2]).contains("cannot send value[\"a b\"]: it is a function"), (String) r[2]);
        }
    }
}
