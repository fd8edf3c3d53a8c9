package dev.ljasync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

        // javac, with the library on the class path: the example is an ordinary application class
        Path file = dir.resolve("ReadmeExample.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "no system Java compiler (this test needs a JDK)");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean compiled = javac.getTask(null, files, diagnostics,
                    List.of("--release", "22", "-cp", classes.toString(), "-d", dir.toString(), "-Xlint:all"),
                    null, files.getJavaFileObjects(file)).call();
            assertTrue(compiled && diagnostics.getDiagnostics().isEmpty(),
                    "the README example does not compile cleanly: " + diagnostics.getDiagnostics());
        }

        // The parent loader is the one that defined the module dev.ljasync, so LuaState is the same class.
        String printed;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("ReadmeExample").getMethod("main", String[].class);
            assertSame(LuaState.class, loader.loadClass("dev.ljasync.LuaState"));
            printed = captureStdout(() -> main.invoke(null, (Object) new String[0]));
        }

        assertEquals(List.of(
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
