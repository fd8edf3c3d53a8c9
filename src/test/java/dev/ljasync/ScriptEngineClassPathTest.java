package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.script.ScriptEngine;
import javax.script.ScriptEngineManager;

/**
 * The javax.script engine found on the class path, where the module's {@code provides} does not count and the
 * service file {@code META-INF/services/javax.script.ScriptEngineFactory} must name the factory. The tests run
 * patched into the module, so the class path is a child JVM's.
 */
class ScriptEngineClassPathTest {

    @Test
    @Timeout(120)
    void shouldFindTheEngineOnTheClassPath() {
        ChildJvm.run(ScriptEngineClassPathTest.class, "findsAndRuns").assertPrinted("unnamed module: 42");
    }

    /** In the child: the manager finds the engine by the service file. */
    static void findsAndRuns() throws Exception {
        ScriptEngine lua = new ScriptEngineManager().getEngineByName("luajit");
        if (lua == null) {
            throw new AssertionError("no engine named luajit on the class path");
        }
        if (lua.getClass().getModule().isNamed()) {
            throw new AssertionError("the engine came from a named module: " + lua.getClass().getModule());
        }
        lua.put("n", 21);
        System.out.println("unnamed module: " + lua.eval("return n * 2"));
        ((AutoCloseable) lua).close();
    }
}
