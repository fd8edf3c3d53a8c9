package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Handles and lifetimes: objects made in Lua used from Java and other states, objects released once nothing refers to
 * them, clear errors for stale handles, and states closed while a call waits.
 */
class SyncLifetimeTest {

    @Test
    void shouldUseAChannelMadeInLuaFromJavaAndFromAnotherState() throws Exception {
        try (LuaState maker = LuaState.open(); LuaState other = LuaState.open()) {
            long handle = (Long) maker.run("""
                    local sync = require("ljasync.sync")
                    results = sync.channel(8) -- a global: the state keeps it
                    results:send("from its maker")
                    return results:handle()""", "maker")[0];
            Channel channel = Channel.fromHandle(handle);
            assertEquals(handle, channel.handle());
            assertEquals("from its maker", channel.receive());
            channel.send("from Java");
            other.run("""
                    local results = require("ljasync.sync").wrap(...)
                    assert(results:receive() == "from Java")
                    results:send("from another state")""", "other", handle);
            assertEquals("from another state", maker.run("return results:receive()")[0]);
            assertEquals(Channel.fromHandle(handle), channel, "equal when they name the same channel");
        }
    }

    @Test
    void shouldPassSynchronizersToLuaAsHandlesThatWrapBackToTheSameObjects() {
        Channel channel = new Channel();
        Mutex mutex = new Mutex();
        Semaphore semaphore = new Semaphore(1);
        try (LuaState lua = LuaState.open()) {
            Object[] r = lua.run("""
                    local sync = require("ljasync.sync")
                    local c, m, s = ...
                    local wc, wm, ws = sync.wrap(c), sync.wrap(m), sync.wrap(s)
                    return type(c), tostring(wc), tostring(wm), tostring(ws), wc:handle() == c,
                      sync.wrap(wc) == wc, wc == sync.wrap(c)""", "wrap", channel, mutex, semaphore);
            assertArrayEquals(new Object[] {"number", "channel " + channel.handle(), "mutex " + mutex.handle(),
                    "semaphore " + semaphore.handle(), true, true, true}, r);
        }
    }

    @Test
    @Timeout(30)
    void shouldReleaseAnObjectOnceNoJavaObjectAndNoLuaWrapperRefersToIt() throws Exception {
        try (LuaState lua = LuaState.open()) {
            long madeInLua = (Long) lua.run("""
                    local sync = require("ljasync.sync")
                    local ch = sync.channel()
                    local handle = ch:handle()
                    ch = nil
                    collectgarbage()
                    collectgarbage()
                    return handle""", "drop")[0];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Channel.fromHandle(madeInLua));
            assertTrue(e.getMessage().contains("was released once nothing referred to it"), e.getMessage());
            LuaException error = assertThrows(LuaException.class,
                    () -> lua.run("require('ljasync.sync').wrap(...)", "wrap", madeInLua));
            assertTrue(error.luaMessage().contains("no channel, mutex, semaphore, keeper, shared table or executor has handle "
                    + madeInLua + " (it was released once nothing referred to it any more"), error.luaMessage());

            long madeInJava = handleOfUnreachableChannel();
            assertTrue(eventually(Duration.ofSeconds(5), madeInJava, h -> {
                try {
                    Channel.fromHandle(h);
                    return false;
                } catch (IllegalArgumentException released) {
                    return true;
                }
            }), "released once the Java object was collected");
        }
    }

    @Test
    @Timeout(30)
    void shouldKeepAChannelWhileAStateHoldsItsWrapperAndReleaseItWhenTheStateCloses() throws Exception {
        LuaState lua = LuaState.open();
        long handle = passToLuaAndForget(lua);
        assertFalse(eventually(Duration.ofMillis(300), handle, h -> {
            try {
                Channel.fromHandle(h);
                return false;
            } catch (IllegalArgumentException released) {
                return true;
            }
        }), "the state's wrapper keeps it");
        assertEquals("kept", Channel.fromHandle(handle).receive());
        lua.close(); // runs the wrapper's __gc
        assertTrue(eventually(Duration.ofSeconds(5), handle, h -> {
            try {
                Channel.fromHandle(h);
                return false;
            } catch (IllegalArgumentException released) {
                return true;
            }
        }), "released once the state closed and the Java objects were collected");
    }

    private static long handleOfUnreachableChannel() {
        return new Channel().handle();
    }

    private static long passToLuaAndForget(LuaState lua) {
        Channel channel = new Channel();
        lua.run("""
                kept = require("ljasync.sync").wrap(...)
                kept:send("kept")""", "keep", channel);
        return channel.handle();
    }

    /** Collects garbage until {@code released} holds for the handle, for up to {@code limit}. */
    private static boolean eventually(Duration limit, long handle, LongPredicate released)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            if (released.test(handle)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldRefuseHandlesThatNameNothingOrSomethingElse() {
        Mutex mutex = new Mutex();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Channel.fromHandle(mutex.handle()));
        assertEquals("no channel has handle " + mutex.handle() + " (it is a mutex)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Mutex.fromHandle(0));
        assertThrows(IllegalArgumentException.class, () -> Semaphore.fromHandle(-5));
        try (LuaState lua = LuaState.open()) {
            for (String bad : new String[] {"1e15", "0", "1.5", "'x'", "nil"}) {
                LuaException error = assertThrows(LuaException.class,
                        () -> lua.run("require('ljasync.sync').wrap(" + bad + ")", "wrap"));
                assertTrue(error.luaMessage().startsWith("wrap:1: ljasync.sync: "), error.luaMessage());
            }
            LuaException error = assertThrows(LuaException.class, () -> lua.run("""
                    local sync = require("ljasync.sync")
                    local m = sync.mutex()
                    m.lock(42)""", "dot"));
            assertEquals("dot:3: ljasync.sync: mutex:lock needs a mutex (call it with a colon: x:lock(...)), not"
                    + " number", error.luaMessage());
        }
    }

    @Test
    @Timeout(30)
    void shouldWaitForACallBlockedInAReceiveWhenItsCallbackCloses() throws Throwable {
        try (Channel channel = new Channel()) {
            Callback callback = CallbackType.of("int (*)(void)").create("""
                    local channel = require("ljasync.sync").wrap(...)
                    return function() return channel:receive() end""", channel);
            MethodHandle call = NativeCallers.downcall(callback);
            AtomicInteger result = new AtomicInteger();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    result.set((int) call.invokeExact());
                } catch (Throwable t) {
                    result.set(-1);
                }
            });
            Thread.sleep(100);
            Thread closer = Thread.ofPlatform().start(callback::close);
            Thread.sleep(200);
            assertTrue(caller.isAlive() && closer.isAlive(), "close waits for the call, which waits for a value");
            channel.send(42);
            assertTrue(caller.join(Duration.ofSeconds(10)) && closer.join(Duration.ofSeconds(10)));
            assertEquals(42, result.get());
            assertTrue(callback.isClosed());
            channel.send(43);
            assertEquals(43L, channel.receive(), "the closed state took nothing more");
        }
    }
}
