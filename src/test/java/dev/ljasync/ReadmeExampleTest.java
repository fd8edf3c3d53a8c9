package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The example in README.md is compiled against the library and run, so that it cannot drift from the API. */
class ReadmeExampleTest {

    private static final Pattern JAVA_BLOCK = Pattern.compile("^```java\\R(.*?)^```", Pattern.DOTALL | Pattern.MULTILINE);

    @Test
    @Timeout(120)
    void shouldCompileAndRunTheReadmeExample(@TempDir Path dir) throws Exception {
        String source = javaBlock(Files.readString(Path.of("README.md")));
        Path classes = Path.of("target", "classes").toAbsolutePath();
        assertTrue(Files.isDirectory(classes), "the library's classes are not in " + classes);

        // javac, with the library on the class path: the example is an ordinary application class. The tool is
        // reached through java.util.spi.ToolProvider (java.base): the tests are patched into the module dev.ljasync,
        // which does not read java.compiler, so javax.tools is not visible to them.
        Path file = dir.resolve("ReadmeExample.java");
        Files.writeString(file, source);
        ToolProvider javac = ToolProvider.findFirst("javac")
                .orElseThrow(() -> new AssertionError("no javac in this runtime (this test needs a JDK)"));
        StringWriter messages = new StringWriter();
        PrintWriter out = new PrintWriter(messages);
        int status = javac.run(out, out, "--release", "22", "-Xlint:all,-restricted", "-Werror", "-encoding", "UTF-8",
                "-cp", classes.toString(), "-d", dir.toString(), file.toString());
        out.flush();
        assertEquals(0, status, "the README example does not compile cleanly:\n" + messages);

        // The parent loader is the one that defined the module dev.ljasync, so LuaState is the same class.
        String printed;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("ReadmeExample").getMethod("main", String[].class);
            assertSame(LuaState.class, loader.loadClass("dev.ljasync.LuaState"));
            printed = captureStdout(() -> main.invoke(null, (Object) new String[0]));
        }

        assertEquals(List.of(
                "[1, 3, 5, 7, 9]",
                "500000500000",
                "LUA! 42",
                "RUNTIME at line 2: lookup:2: attempt to index field 'missing' (a nil value)"),
                printed.lines().toList());
    }

    /** The one ```java block of the README. */
    private static String javaBlock(String readme) {
        Matcher m = JAVA_BLOCK.matcher(readme);
        assertTrue(m.find(), "README.md has no ```java block");
        String block = m.group(1);
        assertFalse(m.find(), "README.md has more than one ```java block");
        return block;
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    private static String captureStdout(Action action) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            System.setOut(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
