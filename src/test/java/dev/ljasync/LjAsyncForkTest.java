package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test scripts of lj-async's fork (sonoro1234/luajit-async), ported to src/test/resources/lj-async/fork with
 * their checks made into assertions, run in a LuaState as the fork's users would run them.
 */
@Timeout(120)
class LjAsyncForkTest {

    private final List<String> lines = new CopyOnWriteArrayList<>();

    private Object[] run(String script, Object... args) {
        return LjAsyncReadmeTest.run("fork/" + script, lines, args);
    }

    private long count(String prefix) {
        return lines.stream().filter(line -> line.startsWith(prefix)).count();
    }

    @Test
    void callback() {
        run("callback.lua");
        assertEquals(List.of("init\tinit string\t222", "call\t123\ttrue", "call\t-5\ttrue"), lines);
    }

    @Test
    void basic() {
        LuaTable outcomes = (LuaTable) run("basic.lua")[0];
        assertEquals("finished", ((LuaTable) outcomes.get(1L)).get(1L));
        LuaTable failed = (LuaTable) outcomes.get(2L);
        assertEquals("failed", failed.get(1L));
        assertTrue(((String) failed.get(2L)).contains("Thread 2 has errors."), (String) failed.get(2L));
        assertTrue(((String) failed.get(2L)).contains("stack traceback"), (String) failed.get(2L));
        assertEquals("finished", ((LuaTable) outcomes.get(3L)).get(1L));
        assertEquals("finished", ((LuaTable) outcomes.get(4L)).get(1L));
        assertTrue(lines.contains("Thread 1 says hi!"), lines::toString);
        assertTrue(lines.contains("Got values:\t4\t2\tnil\tc\ttrue"), lines::toString);
        assertTrue(lines.contains("vec\t100\t200\t300"), lines::toString);
        assertEquals(List.of("ud.x is\t1", "ud.x is\t2", "ud.x is\t3", "ud.x is\t4"),
                lines.stream().filter(line -> line.startsWith("ud.x is")).toList());
    }

    @Test
    void thread() {
        run("thread.lua");
        assertEquals(3, count("ud.x"));
        for (String expected : List.of("ud.x\t123", "ud.x\t456", "ud.x\t789", "init args\t1\tuno",
                "init args\tdos\t2", "init args\t33")) {
            assertTrue(lines.contains(expected), () -> expected + " in " + lines);
        }
    }

    @Test
    void threadJoin() {
        long timeouts = (Long) run("thread_join.lua")[0];
        assertTrue(timeouts >= 3 && timeouts < 20, "joins that timed out: " + timeouts);
    }

    @Test
    void threadReturns() {
        Object[] sums = run("thread_returns.lua", 10_000);
        assertEquals(50_005_000L, sums[0]);
        assertEquals(50_005_000L, sums[1]);
    }

    @Test
    void mutex() {
        assertEquals(3_000L, run("mutex.lua")[0]);
        assertEquals(60, count("Thread\t"));
        for (int thread = 1; thread <= 3; thread++) {
            for (int i = 1; i <= 20; i++) {
                assertTrue(lines.contains("Thread\t" + thread + "\tgot mutex, i=\t" + i));
            }
        }
    }

    @Test
    void mutexTimeout() {
        Object[] outcome = run("mutex_timeout.lua");
        assertEquals("finished", outcome[0], () -> String.valueOf(outcome[1]));
        assertEquals(5, count("Timed out, i="));
    }

    @Test
    void keeper() {
        assertEquals("1 2 3 4 5 6 7 8 9 10", run("keepertest.lua")[0]);
    }

    @Test
    void keeperPingPong() {
        Object[] counts = run("keepertest2.lua");
        long sent = (Long) counts[0];
        assertTrue(sent >= 10, "values sent: " + sent);
        assertEquals(sent + 1, counts[1], "every value sent, and then \"finish\", was received once");
    }
}
