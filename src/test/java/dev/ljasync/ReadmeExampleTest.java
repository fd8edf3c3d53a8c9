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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The examples in README.md are compiled against the library and run, so that they cannot drift from the API. */
class ReadmeExampleTest {

    private static final Pattern JAVA_BLOCK = Pattern.compile("^```java\\R(.*?)^```", Pattern.DOTALL | Pattern.MULTILINE);
    private static final Pattern CLASS_NAME = Pattern.compile("^public class (\\w+)", Pattern.MULTILINE);

    /** What each example prints, by class name. */
    private static final Map<String, List<String>> EXPECTED = Map.ofEntries(
            Map.entry("ReadmeExample", List.of(
                    "[1, 3, 5, 7, 9]",
                    "500000500000",
                    "LUA! 42",
                    "RUNTIME at line 2: lookup:2: attempt to index field 'missing' (a nil value)")),
            Map.entry("ReadmeWorkers", List.of("sums 330, total 330")),
            Map.entry("ReadmeQueued", List.of("peak 9, ran 3 of 3, dropped 0")),
            Map.entry("ReadmeSelect", List.of("[55, 100]", "1 from Java", "nothing in 50 ms")),
            Map.entry("ReadmeSharedTable", List.of("40000 6", "true", "2")),
            Map.entry("ReadmeThreadResults", List.of("[144, squared, {n=12}]", "[144, 9223372036854775807]")),
            Map.entry("ReadmeExecutor", List.of("total 160", "task line 2: task:2: no 7", "true [next]")),
            Map.entry("ReadmeValues", List.of("[1, 4, 9, 16]", "demo has 3 sizes", "5", "changed", "42",
                    "20 15 DEAD")),
            Map.entry("ReadmeTyped", List.of("250250.0")),
            Map.entry("ReadmeObjects", List.of("[java, lua] 2 true", "objects:4: no method 'hashCode' on"
                    + " java.lang.Object", "[42]", "[3, 2, 1] 9 2.5")),
            Map.entry("ReadmeOutput", List.of(
                    "hello from\tLua 5.1",
                    "and from io.write",
                    "to io.stderr",
                    "[one line, and a last]",
                    "called with 7")),
            Map.entry("ReadmeSandbox", List.of(
                    "[nil, nil, nil]",
                    "attempt to load a binary chunk: this state loads Lua source only (LuaJIT does not verify"
                            + " bytecode; LuaState.Builder.bytecode(true) allows it)",
                    "84",
                    "EXIT 3: os.exit(3) ends this Lua code, not the process")),
            Map.entry("ReadmeModules", List.of(
                    "HELLO, lua",
                    "\tno Java module 'missing'",
                    "\tno resource 'lua/missing.lua'",
                    "\tno resource 'lua/missing/init.lua'",
                    "\tno source from Java loader for 'missing'")),
            Map.entry("ReadmeScript", List.of("HELLO!", "42", "hello, Lua", "hello, Java", "7 7", "9",
                    "sum.lua line 2")),
            Map.entry("ReadmeFromLjAsync", List.of("142")),
            Map.entry("ReadmeRecording", List.of("2 -1 5", "3 calls, 1 failed, 0 refused, 0 ns waiting",
                    "dev.ljasync.CallbackError in half: half:2: odd: 7")));

    @Test
    @Timeout(120)
    void shouldCompileAndRunTheReadmeExamples(@TempDir Path dir) throws Exception {
        Map<String, String> examples = javaBlocks(Files.readString(Path.of("README.md")));
        assertEquals(EXPECTED.keySet(), examples.keySet(), "the README's examples and the ones this test expects");
        Path classes = Path.of("target", "classes").toAbsolutePath();
        assertTrue(Files.isDirectory(classes), "the library's classes are not in " + classes);

        // javac, with the library on the class path: the examples are ordinary application classes. The tool is
        // reached through java.util.spi.ToolProvider (java.base): the tests are patched into the module dev.ljasync,
        // which does not read java.compiler, so javax.tools is not visible to them.
        List<String> arguments = new ArrayList<>(List.of("--release", "22", "-Xlint:all,-restricted", "-Werror",
                "-encoding", "UTF-8", "-cp", classes.toString(), "-d", dir.toString()));
        for (Map.Entry<String, String> example : examples.entrySet()) {
            Path file = dir.resolve(example.getKey() + ".java");
            Files.writeString(file, example.getValue());
            arguments.add(file.toString());
        }
        ToolProvider javac = ToolProvider.findFirst("javac")
                .orElseThrow(() -> new AssertionError("no javac in this runtime (this test needs a JDK)"));
        StringWriter messages = new StringWriter();
        PrintWriter out = new PrintWriter(messages);
        int status = javac.run(out, out, arguments.toArray(String[]::new));
        out.flush();
        assertEquals(0, status, "the README examples do not compile cleanly:\n" + messages);

        // The parent loader is the one that defined the module dev.ljasync, so LuaState is the same class.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            assertSame(LuaState.class, loader.loadClass("dev.ljasync.LuaState"));
            for (String name : examples.keySet()) {
                Method main = loader.loadClass(name).getMethod("main", String[].class);
                String printed = captureStdout(() -> main.invoke(null, (Object) new String[0]));
                assertEquals(EXPECTED.get(name), printed.lines().toList(), name);
            }
        }
    }

    /** The ```java blocks of the README, by the name of the public class each declares. */
    private static Map<String, String> javaBlocks(String readme) {
        Map<String, String> blocks = new LinkedHashMap<>();
        Matcher m = JAVA_BLOCK.matcher(readme);
        while (m.find()) {
            Matcher name = CLASS_NAME.matcher(m.group(1));
            assertTrue(name.find(), "a README java block declares no public class:\n" + m.group(1));
            blocks.put(name.group(1), m.group(1));
        }
        return blocks;
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
