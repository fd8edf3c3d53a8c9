package dev.ljasync.internal.values;

import dev.ljasync.internal.sync.Shared;
import dev.ljasync.internal.sync.SharedChannel;

import dev.ljasync.Channel;
import dev.ljasync.LuaState;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The Java side of the channel encoding: the same bytes as Lua's, and errors for bytes that are no message. */
class MessagesTest {

    @Test
    void shouldWriteTheSameBytesAsLuaForTheSameValue() throws Exception {
        try (LuaState lua = LuaState.open(); Channel channel = new Channel()) {
            lua.run("""
                    local channel = require("ljasync.sync").wrap(...)
                    channel:send({1.5, "x\\0y", true, {false}, -7LL, 7ULL})
                    channel:send(nil)""", "send", channel);
            SharedChannel shared = (SharedChannel) Shared.find(channel.handle());
            byte[] fromLua = (byte[]) shared.receive(0);
            byte[] fromJava = Messages.encode(List.of(1.5, "x\0y", true, List.of(false), BigInteger.valueOf(-7),
                    BigInteger.valueOf(7)));
            assertArrayEquals(fromJava, fromLua);
            assertArrayEquals(new byte[] {Messages.NIL}, (byte[]) shared.receive(0));
            assertArrayEquals(Messages.encode(null), new byte[] {Messages.NIL});
        }
    }

    @Test
    void shouldGiveJavaTheSameValueWithoutBytesAsThroughThem() {
        List<Object> values = Arrays.asList(null, true, false, 0L, -1L, 1L << 53, (1L << 53) + 1, Long.MIN_VALUE,
                Long.MAX_VALUE, 7, (short) -3, (byte) 5, 2.0, 2.5, -0.0, 0.0, Double.NaN, 1e300, 0x1p63, -0x1p63,
                Double.NEGATIVE_INFINITY, 1.5f, 3.0f, "text", List.of(1L));
        for (Object value : values) {
            Object message = Messages.message(value);
            assertEquals(Messages.decode(Messages.encode(value)), Messages.value(message), String.valueOf(value));
            assertArrayEquals(Messages.encode(value), Messages.bytes(message), String.valueOf(value));
        }
        assertInstanceOf(Long.class, Messages.message(7)); // no bytes between Java threads
    }

    @Test
    void shouldDecodeWhatItEncodes() {
        Object value = Map.of("a", List.of(1L, 2.5, "three"), 4L, Map.of(true, new BigInteger("18446744073709551615")));
        Object decoded = Messages.decode(Messages.encode(value));
        assertEquals(Map.of("a", Map.of(1L, 1L, 2L, 2.5, 3L, "three"), 4L,
                Map.of(true, new BigInteger("18446744073709551615"))), decoded);
    }

    @Test
    void shouldRefuseBytesThatAreNoMessage() {
        assertThrows(IllegalArgumentException.class, () -> Messages.decode(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> Messages.decode(new byte[] {42}));
        assertThrows(IllegalArgumentException.class, () -> Messages.decode(new byte[] {Messages.NUMBER, 1, 2}));
        assertThrows(IllegalArgumentException.class, () -> Messages.decode(new byte[] {Messages.STRING, 9, 0, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Messages.decode(new byte[] {Messages.TRUE, Messages.NIL}));
    }
}
