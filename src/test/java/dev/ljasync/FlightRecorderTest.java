package dev.ljasync;

import dev.ljasync.internal.events.CallbackError;
import dev.ljasync.internal.events.CallbackRefused;
import dev.ljasync.internal.events.ChannelWait;
import dev.ljasync.internal.events.QueueOverflow;
import dev.ljasync.internal.events.StateWait;
import dev.ljasync.internal.events.ThreadCancel;
import dev.ljasync.internal.events.ThreadEnd;
import dev.ljasync.internal.events.ThreadStart;
import jdk.jfr.EventType;
import jdk.jfr.Recording;
import jdk.jfr.SettingDescriptor;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The flight recorder events and the counters of a callback: a recording started in-process, real native callers and
 * threads, the events read back from the recording's file with their fields.
 */
@Timeout(60)
class FlightRecorderTest {

    private static final CallbackType INT_TO_INT = CallbackType.of("int(*)(int)");
    private static final CallbackType PTHREAD_START = CallbackType.of("void *(*)(void *)");
    private static final String[] ALL = {"CallbackError", "CallbackRefused", "StateWait", "QueueOverflow",
            "ThreadStart", "ThreadEnd", "ThreadCancel", "ChannelWait"};

    @TempDir
    Path dir;

    /** What the work recorded: lj-async's events (every one enabled, thresholds 0), by their short name. */
    private Map<String, List<RecordedEvent>> record(Work work) throws Throwable {
        Path file = dir.resolve("events.jfr");
        try (Recording recording = new Recording()) {
            for (String event : ALL) {
                recording.enable("dev.ljasync." + event).withThreshold(Duration.ZERO);
            }
            recording.start();
            work.run();
            recording.stop();
            recording.dump(file);
        }
        Map<String, List<RecordedEvent>> byName = new TreeMap<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            String name = event.getEventType().getName();
            assertEquals("lj-async", event.getEventType().getCategoryNames().getFirst(), name);
            byName.computeIfAbsent(name.substring("dev.ljasync.".length()), k -> new ArrayList<>()).add(event);
        }
        return byName;
    }

    private interface Work {
        void run() throws Throwable;
    }

    private static List<RecordedEvent> only(Map<String, List<RecordedEvent>> events, String name, int count) {
        List<RecordedEvent> some = events.getOrDefault(name, List.of());
        assertEquals(count, some.size(), name + " events: " + some);
        return some;
    }

    @Test
    void shouldRecordTheFailedCallOfACallbackCalledFromNativeThreadsAndCountItsCalls() throws Throwable {
        Callback[] made = new Callback[1];
        var events = record(() -> {
            try (Callback cb = PTHREAD_START.builder().name("starter").onError(e -> {}).create("""
                    local ffi = require("ffi")
                    return function(arg)
                      if ffi.cast("intptr_t", arg) == 3 then error("no thread 3") end
                      return arg
                    end""")) {
                made[0] = cb;
                long sum = 0;
                for (int i = 0; i < 4; i++) { // one at a time: no call waits for the state
                    long thread = NativeCallers.pthreadCreate(cb.funcptr(), MemorySegment.ofAddress(i));
                    sum += NativeCallers.pthreadJoin(thread).address();
                }
                assertEquals(0 + 1 + 2, sum, "the failed call returned the fallback, NULL");
            }
        });
        RecordedEvent error = only(events, "CallbackError", 1).getFirst();
        assertEquals("starter", error.getString("callback"));
        assertEquals("void *(*)(void *)", error.getString("signature"));
        assertEquals("RUNTIME", error.getString("kind"));
        assertEquals("starter:3: no thread 3", error.getString("message"));
        assertTrue(error.getString("traceback").startsWith("stack traceback:"), error.getString("traceback"));
        assertEquals(Map.of("CallbackError", 1), counts(events), "and nothing else");
        assertEquals(4, made[0].callCount());
        assertEquals(1, made[0].errorCount());
        assertEquals(0, made[0].refusalCount());
        assertEquals(Duration.ZERO, made[0].waitTime(), "no call found the state busy");
    }

    @Test
    void shouldRecordARefusedReentrantCall() throws Throwable {
        Callback[] made = new Callback[1];
        var events = record(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment self = arena.allocate(ADDRESS);
                try (Callback cb = INT_TO_INT.builder().name("again").fallback(-1000).onError(e -> {}).create("""
                        local ffi = require("ffi")
                        local self = ffi.cast("int (**)(int)", ...)
                        return function(n)
                          if n == 0 then return 100 end
                          return self[0](n - 1) + 1
                        end""", self)) {
                    made[0] = cb;
                    self.set(ADDRESS, 0, cb.funcptr());
                    MethodHandle call = NativeCallers.downcall(cb);
                    assertEquals(-999, (int) call.invokeExact(1));
                    assertEquals(100, (int) call.invokeExact(0));
                }
            }
        });
        RecordedEvent refused = only(events, "CallbackRefused", 1).getFirst();
        assertEquals("again", refused.getString("callback"));
        assertEquals("int (*)(int)", refused.getString("signature"));
        assertTrue(refused.getString("reason").contains("already inside"), refused.getString("reason"));
        assertEquals(Map.of("CallbackRefused", 1), counts(events), "a refusal is not also an error event");
        assertEquals(2, made[0].callCount(), "the refused call never ran");
        assertEquals(1, made[0].refusalCount());
        assertEquals(1, made[0].errorCount(), "a refusal counts as a failed call too");
    }

    @Test
    void shouldRecordACallThatWaitedForTheBusyStateAndNoneForTheUncontendedOnes() throws Throwable {
        Callback[] made = new Callback[1];
        var events = record(() -> {
            try (Callback cb = INT_TO_INT.builder().name("sleeper").create("""
                    local ffi = require("ffi")
                    ffi.cdef("int usleep(unsigned int usec);")
                    return function(ms) ffi.C.usleep(ms * 1000) return ms end""")) {
                made[0] = cb;
                MethodHandle call = NativeCallers.downcall(cb);
                for (int i = 0; i < 1000; i++) {
                    assertEquals(0, (int) call.invokeExact(0));
                }
                // a call of 100 ms holds the one state (its count shows it has claimed it); a second call waits
                AtomicInteger sum = new AtomicInteger();
                Thread slow = caller(call, 100, sum);
                while (cb.callCount() < 1001) {
                    Thread.onSpinWait();
                }
                Thread waiting = caller(call, 1, sum);
                assertTrue(slow.join(Duration.ofSeconds(10)) && waiting.join(Duration.ofSeconds(10)));
                assertEquals(101, sum.get());
            }
        });
        RecordedEvent wait = only(events, "StateWait", 1).getFirst();
        assertEquals("sleeper", wait.getString("callback"));
        assertEquals(1, wait.getInt("states"));
        assertTrue(wait.getDuration().toMillis() >= 10, "waited " + wait.getDuration());
        assertEquals(1002, made[0].callCount());
        assertEquals(0, made[0].errorCount());
        Duration waited = made[0].waitTime();
        assertTrue(waited.toMillis() >= 10 && waited.compareTo(wait.getDuration().plusMillis(1)) <= 0,
                waited + ", in the event " + wait.getDuration());
    }

    private static Thread caller(MethodHandle call, int millis, AtomicInteger sum) {
        return Thread.ofPlatform().start(() -> {
            try {
                sum.addAndGet((int) call.invokeExact(millis));
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
    }

    @Test
    void shouldRecordThreadsStartingEndingAndBeingCancelled() throws Throwable {
        var events = record(() -> {
            try (LuaThread done = LuaThread.builder().name("done").spawn("return function() return 1 + 1 end");
                 LuaThread failed = LuaThread.builder().name("failed").nativeThread(true)
                         .spawn("return function() error('bad') end");
                 LuaThread endless = LuaThread.builder().name("endless").cancellable(true)
                         .spawn("return function() while true do end end");
                 LuaThread future = LuaThread.builder().name("future").cancellable(true)
                         .spawn("return function() while true do end end")) {
                assertTrue(done.join(Duration.ofSeconds(10)));
                assertTrue(failed.join(Duration.ofSeconds(10)));
                endless.cancel();
                assertTrue(endless.join(Duration.ofSeconds(10)));
                endless.cancel(); // ended: not recorded again
                assertTrue(future.future().cancel(true), "cancelling the future cancels the thread");
                assertTrue(future.join(Duration.ofSeconds(10)));
                assertFalse(future.future().cancel(true));
            }
        });
        assertEquals(Map.of("ThreadStart", 4, "ThreadEnd", 4, "ThreadCancel", 2), counts(events),
                "a thread's failure is its end, not also a callback error");
        Map<String, RecordedEvent> starts = byThread(events.get("ThreadStart"));
        assertEquals(List.of("done", "endless", "failed", "future"), List.copyOf(starts.keySet()));
        assertFalse(starts.get("done").getBoolean("nativeThread"));
        assertTrue(starts.get("failed").getBoolean("nativeThread"));
        assertTrue(starts.get("endless").getBoolean("cancellable"));
        assertFalse(starts.get("done").getBoolean("cancellable"));
        Map<String, RecordedEvent> ends = byThread(events.get("ThreadEnd"));
        assertEquals("FINISHED", ends.get("done").getString("status"));
        assertNull(ends.get("done").getString("error"));
        assertEquals("FAILED", ends.get("failed").getString("status"));
        assertEquals("failed:1: bad", ends.get("failed").getString("error"));
        assertEquals("CANCELLED", ends.get("endless").getString("status"));
        String cancelled = ends.get("endless").getString("error");
        assertTrue(cancelled.contains("cancelled"), cancelled);
        assertEquals("CANCELLED", ends.get("future").getString("status"));
        assertEquals(List.of("endless", "future"), List.copyOf(byThread(events.get("ThreadCancel")).keySet()));
    }

    private static Map<String, RecordedEvent> byThread(List<RecordedEvent> events) {
        Map<String, RecordedEvent> byThread = new TreeMap<>();
        for (RecordedEvent event : events) {
            assertNull(byThread.put(event.getString("luaThread"), event), "one event a thread");
        }
        return byThread;
    }

    @Test
    void shouldRecordTheChannelOperationsThatWaitedOnly() throws Throwable {
        Channel channel = new Channel(1);
        var events = record(() -> {
            channel.send("ready");
            assertEquals("ready", channel.receive(), "no wait: not recorded");
            // a Lua thread waits to receive until Java sends
            try (LuaThread receiver = LuaThread.builder().name("receiver").spawn(
                    "local ch = require('ljasync.sync').wrap(...) return function() return ch:receive() end",
                    channel)) {
                awaitWaiting("receiver");
                channel.send(41);
                assertTrue(receiver.join(Duration.ofSeconds(10)));
                assertEquals(List.of(41L), receiver.results());
            }
            // a Java thread waits to send into the full channel until Java receives
            channel.send("full");
            Thread sender = Thread.ofPlatform().name("sender").start(() -> {
                try {
                    channel.send("more");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            awaitWaiting("sender");
            assertEquals("full", channel.receive());
            assertTrue(sender.join(Duration.ofSeconds(10)));
            assertEquals("more", channel.receive(), "there already: not recorded");
        });
        // in the order of their start: events of different threads reach the file from buffers of their own
        List<RecordedEvent> waits = new ArrayList<>(only(events, "ChannelWait", 2));
        waits.sort(java.util.Comparator.comparing(RecordedEvent::getStartTime));
        assertEquals("receive", waits.get(0).getString("operation"));
        assertEquals("receiver", waits.get(0).getThread("eventThread").getJavaName());
        assertEquals("send", waits.get(1).getString("operation"));
        assertEquals("sender", waits.get(1).getThread("eventThread").getJavaName());
        for (RecordedEvent wait : waits) {
            assertEquals("channel " + channel.handle() + " (capacity 1)", wait.getString("channel"));
        }
        assertEquals(Map.of("ChannelWait", 2, "ThreadStart", 1, "ThreadEnd", 1), counts(events));
    }

    /** Returns once the platform thread of that name waits in a channel. */
    private static void awaitWaiting(String name) throws InterruptedException {
        while (Thread.getAllStackTraces().entrySet().stream().noneMatch(thread -> thread.getKey().getName()
                .equals(name) && thread.getKey().getState() == Thread.State.WAITING && Arrays.stream(thread.getValue())
                .anyMatch(frame -> frame.getClassName().endsWith(".SharedChannel")))) {
            Thread.sleep(1);
        }
    }

    @Test
    void shouldDescribeEveryEventForRecordingTools() {
        List<Class<? extends jdk.jfr.Event>> classes = List.of(CallbackError.class, CallbackRefused.class,
                StateWait.class, QueueOverflow.class, ThreadStart.class, ThreadEnd.class, ThreadCancel.class,
                ChannelWait.class);
        Map<String, String> thresholds = new TreeMap<>();
        for (Class<? extends jdk.jfr.Event> event : classes) {
            EventType type = EventType.getEventType(event);
            assertEquals("dev.ljasync." + event.getSimpleName(), type.getName());
            assertEquals(List.of("lj-async"), type.getCategoryNames(), type.getName());
            assertNotNull(type.getLabel(), type.getName());
            assertNotNull(type.getDescription(), type.getName());
            for (ValueDescriptor field : type.getFields()) {
                assertNotNull(field.getLabel(), type.getName() + "." + field.getName());
            }
            for (SettingDescriptor setting : type.getSettingDescriptors()) {
                if (setting.getName().equals("threshold") && !setting.getDefaultValue().equals("0 ns")) {
                    thresholds.put(event.getSimpleName(), setting.getDefaultValue());
                }
            }
        }
        assertEquals(Map.of("StateWait", "1 ms", "ChannelWait", "1 ms"), thresholds,
                "the waits are recorded from 1 ms unless a recording asks for less");
    }

    @Test
    void shouldRecordAQueueOverflowThroughItsHelper() throws Throwable {
        var events = record(() -> QueueOverflow.emit("queued", "void(*)(int)", 8, true));
        RecordedEvent overflow = only(events, "QueueOverflow", 1).getFirst();
        assertEquals("queued", overflow.getString("callback"));
        assertEquals("void(*)(int)", overflow.getString("signature"));
        assertEquals(8, overflow.getInt("capacity"));
        assertTrue(overflow.getBoolean("dropped"));
    }

    private static Map<String, Integer> counts(Map<String, List<RecordedEvent>> events) {
        Map<String, Integer> counts = new TreeMap<>();
        events.forEach((name, list) -> counts.put(name, list.size()));
        return counts;
    }
}
