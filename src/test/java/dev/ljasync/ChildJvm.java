package dev.ljasync;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs one scenario, a static no-argument method of a test class, in a child JVM: whatever could kill the process
 * (a SIGSEGV, a fatal upcall error, {@code System.exit}) then shows up as a failing test with the child's exit
 * status, its output and the summary of its hs_err file, not as a dead build. The child runs on the class path
 * (the test and main classes, in the unnamed module, with native access), so a scenario uses the library as a
 * user's program would and may not use JUnit: it throws (an {@link AssertionError}, say) to fail.
 */
final class ChildJvm {

    /** The exit status of a scenario that returned normally. */
    static final int PASSED = 0;
    /** The exit status of a scenario that threw. */
    static final int THREW = 2;
    /** How long a child may run before it counts as hung and is killed. */
    static final long TIMEOUT_SECONDS = 90;

    private ChildJvm() {}

    /** What the child did: its exit status ({@code -1} when it hung and was killed), output and crash summary. */
    record Outcome(int exitCode, String output, String crash) {

        /** Throws with everything known about the child unless its scenario returned normally. */
        Outcome assertPassed() {
            if (exitCode != PASSED) {
                throw new AssertionError(describe("the scenario did not pass"));
            }
            return this;
        }

        /** Throws unless the child passed and printed {@code expected}. */
        Outcome assertPrinted(String expected) {
            assertPassed();
            if (!output.contains(expected)) {
                throw new AssertionError(describe("the child did not print \"" + expected + "\""));
            }
            return this;
        }

        String describe(String what) {
            String status = exitCode == -1 ? "hung and was killed after " + TIMEOUT_SECONDS + " s"
                    : exitCode > 128 ? "exit status " + exitCode + " (signal " + (exitCode - 128) + ")"
                    : "exit status " + exitCode;
            return what + ": " + status + "\n--- output ---\n" + output
                    + (crash.isEmpty() ? "" : "\n--- hs_err summary ---\n" + crash);
        }
    }

    /** Runs {@code owner.method()} in a child JVM with the given extra JVM options (such as {@code -Xss256k}). */
    static Outcome run(Class<?> owner, String method, String... jvmOptions) {
        try {
            Path dir = Files.createTempDirectory("ljasync-child");
            try {
                List<String> command = new ArrayList<>();
                command.add(ProcessHandle.current().info().command().orElseThrow());
                command.add("--enable-native-access=ALL-UNNAMED");
                command.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
                command.add("-XX:-CreateCoredumpOnCrash");
                command.addAll(Arrays.asList(jvmOptions));
                command.addAll(List.of("-cp", classPath(), Main.class.getName(), owner.getName(), method));
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                // read while it runs: a child filling the pipe would otherwise block forever
                StringBuilder output = new StringBuilder();
                Thread reader = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException ignored) {
                        // the child was killed
                    }
                });
                int exit;
                if (process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    exit = process.exitValue();
                } else {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    exit = -1;
                }
                reader.join(10_000);
                return new Outcome(exit, output.toString(), crashSummary(dir));
            } finally {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new AssertionError("could not start a child JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a child JVM", e);
        }
    }

    /** The compiled main and test classes: the child needs no test library. */
    private static String classPath() {
        Path root = Path.of("target");
        return root.resolve("test-classes") + java.io.File.pathSeparator + root.resolve("classes");
    }

    /** The lines of an hs_err file that say what crashed, where. */
    private static String crashSummary(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                try (Stream<String> lines = Files.lines(file, StandardCharsets.ISO_8859_1)) {
                    return lines.limit(40).filter(line -> line.startsWith("#") && line.length() > 2)
                            .collect(Collectors.joining("\n"));
                }
            }
        }
        return "";
    }

    /** The child's entry: runs one scenario, prints what it threw, and exits with {@link #PASSED} or {@link #THREW}. */
    static final class Main {
        public static void main(String[] args) throws Exception {
            Method scenario = Class.forName(args[0]).getDeclaredMethod(args[1]);
            scenario.setAccessible(true);
            try {
                scenario.invoke(null);
            } catch (InvocationTargetException e) {
                e.getCause().printStackTrace(System.out);
                System.out.flush();
                System.exit(THREW);
            }
            System.out.flush();
            System.exit(PASSED);
        }
    }
}
