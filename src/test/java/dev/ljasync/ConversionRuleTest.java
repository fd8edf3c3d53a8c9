package dev.ljasync;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The one conversion rule, once per direction per type, through every crossing: a value sent from Java arrives in Lua
 * as the Lua type the rule names, and a Lua value arrives in Java as the Java value the rule names, whether it
 * crosses as a call's argument or result, a Java function's argument or result, a callback's init arg, or a channel
 * message.
 */
@Timeout(60)
class ConversionRuleTest {

    private static LuaState lua;
    private static final List<Object> seen = new ArrayList<>();

    @BeforeAll
    static void open() {
        lua = LuaState.open();
        lua.register("give", args -> ConversionRuleTest.given);
        lua.register("take", args -> {
            seen.add(args[0]);
            return null;
        });
        // the Lua type of a value, telling cdata integers apart
        lua.run("local ffi = require('ffi') function kind(v) if type(v) == 'cdata' then"
                + " return ffi.istype('int64_t', v) and 'int64_t' or ffi.istype('uint64_t', v) and 'uint64_t'"
                + " or 'cdata' end return type(v) end");
    }

    @AfterAll
    static void close() {
        lua.close();
    }

    private static Object given;

    private static LuaTable table(Object... pairs) {
        LuaTable t = new LuaTable();
        for (int i = 0; i < pairs.length; i += 2) {
            t.put(pairs[i], pairs[i + 1]);
        }
        return t;
    }

    /** A Java value, the Lua type it becomes, and the Java value it comes back as. */
    static Stream<Arguments> javaToLua() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("a", 1);
        map.put("b", List.of("x"));
        return Stream.of(
                Arguments.of(null, "nil", null),
                Arguments.of(true, "boolean", true),
                Arguments.of(7, "number", 7L),
                Arguments.of((short) -3, "number", -3L),
                Arguments.of(42L, "number", 42L),
                Arguments.of(1L << 60, "int64_t", 1L << 60),
                Arguments.of(new BigInteger("18446744073709551615"), "uint64_t", new BigInteger("18446744073709551615")),
                Arguments.of(2.5, "number", 2.5),
                Arguments.of(1.5f, "number", 1.5),
                Arguments.of("héllo", "string", "héllo"),
                Arguments.of(new byte[] {(byte) 0xff, 0, 65}, "string", new byte[] {(byte) 0xff, 0, 65}),
                Arguments.of(map, "table", table("a", 1L, "b", table(1L, "x"))),
                Arguments.of(List.of(1, "two"), "table", table(1L, 1L, 2L, "two")),
                Arguments.of(new int[] {3, 4}, "table", table(1L, 3L, 2L, 4L)),
                Arguments.of(new String[] {"p"}, "table", table(1L, "p")));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("javaToLua")
    void asACallArgumentAndResult(Object value, String luaType, Object back) {
        assertArrayEquals(new Object[] {luaType, back}, lua.run("local v = ... return kind(v), v", "rule", value));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("javaToLua")
    void asAJavaFunctionResultAndArgument(Object value, String luaType, Object back) {
        given = value;
        seen.clear();
        assertArrayEquals(new Object[] {luaType}, lua.run("local v = give() take(v) return kind(v)"));
        assertArrayEquals(new Object[] {back}, seen.toArray());
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("javaToLua")
    void asALuaValueCallAndAssignment(Object value, String luaType, Object back) {
        LuaValue identity = (LuaValue) lua.run("return function(v) return kind(v), v end")[0];
        assertArrayEquals(new Object[] {luaType, back}, identity.call(value));
        lua.run("box = {}");
        LuaValue box = lua.reference("box");
        box.set("v", value);
        assertArrayEquals(new Object[] {luaType}, lua.run("return kind(box.v)"));
        assertEqualValues(back, box.get("v"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("javaToLua")
    void asACallbackInitArgAndChannelMessages(Object value, String luaType, Object back) throws Exception {
        try (Channel channel = new Channel(4);
             Callback callback = CallbackType.of("void (*)(void)").create("""
                     local ffi = require('ffi')
                     local ch, v = require('ljasync.sync').wrap((...)), select(2, ...)
                     local kind = type(v) == 'cdata' and (ffi.istype('int64_t', v) and 'int64_t' or 'uint64_t')
                       or type(v)
                     ch:send(kind)
                     ch:send(v)
                     return function() end""", channel, value)) {
            assertEquals(luaType, channel.receive(Duration.ofSeconds(5)));
            assertEqualValues(back, channel.receive(Duration.ofSeconds(5)));
            assertNotNull(callback.funcptr());
        }
    }

    /** A Lua expression and the Java value it arrives as. */
    static Stream<Arguments> luaToJava() {
        return Stream.of(
                Arguments.of("nil", null),
                Arguments.of("false", false),
                Arguments.of("3", 3L),
                Arguments.of("-2^63", Long.MIN_VALUE),
                Arguments.of("2^63", 0x1p63),
                Arguments.of("0.25", 0.25),
                Arguments.of("-0.0", -0.0),
                Arguments.of("'text'", "text"),
                Arguments.of("'\\255\\0'", new byte[] {(byte) 0xff, 0}),
                Arguments.of("{}", new LuaTable()),
                Arguments.of("{10, 20}", table(1L, 10L, 2L, 20L)),
                Arguments.of("{k = {true}}", table("k", table(1L, true))),
                Arguments.of("require('ffi').new('int64_t', -5)", -5L),
                Arguments.of("0xffffffffffffffffULL", new BigInteger("18446744073709551615")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("luaToJava")
    void fromLuaThroughEveryCrossing(String expression, Object expected) throws Exception {
        assertEqualValues(expected, lua.run("return " + expression)[0]);
        seen.clear();
        lua.run("take(" + expression + ")");
        assertEqualValues(expected, seen.getFirst());
        assertEqualValues(expected, ((LuaValue) lua.run("return function() return " + expression + " end")[0])
                .call()[0]);
        try (Channel channel = new Channel(1)) {
            lua.run("require('ljasync.sync').wrap(...):send(" + expression + ")", "send", channel);
            assertEqualValues(expected, channel.receive(Duration.ofSeconds(5)));
        }
    }

    @org.junit.jupiter.api.Test
    void aFunctionIsAReferenceWithinItsStateAndRefusedAcrossStates() throws Exception {
        Object f = lua.run("return function() end")[0];
        assertInstanceOf(LuaValue.class, f);
        try (Channel channel = new Channel(1)) {
            LuaException e = assertThrows(LuaException.class,
                    () -> lua.run("require('ljasync.sync').wrap(...):send(function() end)", "send", channel));
            assertTrue(e.getMessage().contains("function"), e.getMessage());
        }
    }

    private static void assertEqualValues(Object expected, Object actual) {
        if (expected instanceof byte[] bytes) {
            assertArrayEquals(bytes, (byte[]) actual);
        } else {
            assertEquals(expected, actual);
            if (expected != null) {
                assertEquals(expected.getClass(), actual.getClass());
            }
        }
    }
}
