package dev.ljasync.internal.lua;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** How the LuaJIT library is found, each case in a fresh JVM (the library is loaded once per JVM). */
@Timeout(120)
class LibraryLoadingTest {

    private record Outcome(int exitCode, String output) {}

    private static Outcome probe(String property, Map<String, String> environment)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=dev.ljasync"));
        if (property != null) {
            command.add("-D" + LuaJitLibrary.PROPERTY + "=" + property);
        }
        command.addAll(List.of("-p", "target/classes", "--add-modules", "dev.ljasync",
                "src/test/resources/probe/LoadProbe.java"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove(LuaJitLibrary.ENVIRONMENT);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe finished");
        return new Outcome(process.exitValue(), output);
    }

    @Test
    void shouldFindLuaJitByItsSonameByDefault() throws Exception {
        Outcome outcome = probe(null, Map.of());
        assertEquals(0, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("loaded LuaJIT 2.1") && outcome.output().contains(" 42"),
                outcome.output());
    }

    @Test
    void shouldLoadTheFileNamedByThePropertyOrTheEnvironment() throws Exception {
        String file = LuaJitLibrary.file().toString();
        Outcome byProperty = probe(file, Map.of());
        assertEquals(0, byProperty.exitCode(), byProperty.output());
        Outcome byEnvironment = probe(null, Map.of(LuaJitLibrary.ENVIRONMENT, file));
        assertEquals(0, byEnvironment.exitCode(), byEnvironment.output());
    }

    @Test
    void shouldExplainAMissingLibraryInOneMessage() throws Exception {
        Outcome outcome = probe("/nonexistent/libluajit-5.1.so.2", Map.of());
        assertEquals(3, outcome.exitCode(), outcome.output());
        String message = outcome.output();
        assertTrue(message.contains("UnsatisfiedLinkError"), message);
        assertTrue(message.contains("/nonexistent/libluajit-5.1.so.2"), message);
        assertTrue(message.contains(LuaJitLibrary.PROPERTY), message);
        assertTrue(message.contains(LuaJitLibrary.ENVIRONMENT), message);
        assertTrue(message.contains("apt-get install libluajit-5.1-2"), message);
    }

    @Test
    void shouldRefuseALibraryThatIsNotLuaJit() throws Exception {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(libc), "needs glibc at " + libc);
        Outcome outcome = probe(libc.toString(), Map.of());
        assertEquals(3, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("not LuaJIT"), outcome.output());
    }
}
