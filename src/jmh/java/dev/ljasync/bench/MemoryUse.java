package dev.ljasync.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ljasync.Callback;
import dev.ljasync.LuaState;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The memory section of the report: the resident bytes that each live callback, each live {@link LuaState} and each
 * live C state with the standard libraries (their floor, from src/bench/c/baselines.c; and the same with the FFI
 * loaded, as a callback's states load it for the library's own Lua code) adds to the process, with
 * {@value #LIVE} of one kind alive at once, and how far the process's resident memory is from where it started once
 * all of them are closed. Run by scripts/bench after JMH, in a JVM of its own, before {@link Report}, which prints
 * the section written here:
 *
 * <pre>java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -XX:+UseSerialGC ... dev.ljasync.bench.MemoryUse target/bench</pre>
 *
 * <p>How it measures: resident memory is the {@code Rss} of /proc/self/smaps_rollup (which walks the page tables,
 * so it is exact). The heap is fixed and pre-touched (the flags above), so its pages stay resident throughout and the
 * resident memory changes only with native memory: LuaJIT's allocations, upcall stubs in the code cache, metaspace;
 * the Java objects' share is added from the heap used after a full collection. Before each reading the collector
 * runs and glibc's {@code malloc_trim(0)} is called (a downcall): glibc keeps freed memory in its arenas, where it
 * would still count as resident, so the figures say what a program that trims gets back, not what glibc happens to
 * keep. Each kind first opens and closes {@value #WARM} (class loading, the JIT, the code cache's first growth), then
 * its baseline is read, {@value #LIVE} are opened, read, closed, and read again.
 */
public final class MemoryUse {

    /** The name of the file written beside the report's. */
    static final String FILE = "memory.json";
    static final int LIVE = 10_000;
    private static final int WARM = 1_000;
    /** The goal for a callback and for a LuaState, resident bytes each. */
    static final long GOAL_BYTES = 64 * 1024;
    /** Memory counts as returned when what stays after closing is at most this share of what the live ones took. */
    static final double RETURNED_SHARE = 0.05;

    /** One reading: the process's resident bytes and the Java heap in use after a full collection. */
    record Reading(long resident, long heap) {}

    /**
     * One kind's measurement: the readings before, with LIVE alive, and after closing them all; a kind of the library
     * has the goal of GOAL_BYTES, a C one informs.
     */
    record Measurement(String kind, String label, boolean hasGoal, int live, Reading baseline, Reading whileLive,
                       Reading afterClose) {
        /** Resident bytes added per live one, native and Java heap together. */
        @JsonProperty
        double bytesPerLive() {
            return (double) (whileLive.resident - baseline.resident + whileLive.heap - baseline.heap) / live;
        }

        /** Of which the Java heap's share. */
        @JsonProperty
        double heapBytesPerLive() {
            return (double) (whileLive.heap - baseline.heap) / live;
        }

        /** What stays above the baseline once all are closed, in bytes (negative: below it). */
        @JsonProperty
        long residual() {
            return afterClose.resident - baseline.resident + afterClose.heap - baseline.heap;
        }

        @JsonProperty
        boolean returned() {
            return residual() <= RETURNED_SHARE * bytesPerLive() * live;
        }

        /** met or missed (the goal), or "-". */
        @JsonProperty
        String result() {
            return !hasGoal ? "-" : bytesPerLive() <= GOAL_BYTES ? "met" : "missed";
        }
    }

    /** The section: the measurements, the C floor first, and how they were made. */
    record Results(String method, List<Measurement> measurements) {
        Measurement floor() {
            return measurements.stream().filter(m -> m.kind.equals(C_STATE)).findFirst().orElse(null);
        }

        String table() {
            StringBuilder out = new StringBuilder("\nMemory: resident bytes per live object, " + count(LIVE)
                    + " alive at once\n\n");
            Measurement floor = floor();
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"Case", "Per live", "Java heap", "Baseline", "Per live", "Ratio", "Goal",
                    "Result"});
            for (Measurement m : measurements) {
                if (m == floor) {
                    continue;
                }
                cells.add(new String[] {m.label, bytes(m.bytesPerLive()), bytes(m.heapBytesPerLive()),
                        floor == null ? "-" : floor.label, floor == null ? "-" : bytes(floor.bytesPerLive()),
                        floor == null ? "-" : Report.ratio(m.bytesPerLive() / floor.bytesPerLive()),
                        m.hasGoal ? "<= " + bytes(GOAL_BYTES) : "-", m.result()});
            }
            Report.columns(cells, out, new boolean[] {false, true, true, false, true, true, false, false});
            out.append("\nAfter closing all ").append(count(LIVE)).append(":\n\n");
            List<String[]> after = new ArrayList<>();
            after.add(new String[] {"Kind", "Live took", "Left above baseline", "Share", "Result"});
            for (Measurement m : measurements) {
                after.add(new String[] {m.label, megabytes(m.bytesPerLive() * m.live), megabytes(m.residual()),
                        String.format(Locale.ROOT, "%.1f%%", 100.0 * m.residual() / (m.bytesPerLive() * m.live)),
                        m.returned() ? "returned" : "kept"});
            }
            Report.columns(after, out, new boolean[] {false, true, true, true, false});
            return out.append('\n').append(method).append('\n').toString();
        }

        String markdown() {
            StringBuilder out = new StringBuilder("Memory, resident bytes per live object (" + count(LIVE)
                    + " alive at once):\n\n");
            out.append("| Case | Per live | Java heap | Baseline | Per live | Ratio | Goal | Result |\n");
            out.append("|---|---:|---:|---|---:|---:|---|---|\n");
            Measurement floor = floor();
            for (Measurement m : measurements) {
                if (m != floor && floor != null) {
                    out.append("| ").append(m.label).append(" | ").append(bytes(m.bytesPerLive())).append(" | ")
                            .append(bytes(m.heapBytesPerLive())).append(" | ").append(floor.label).append(" | ")
                            .append(bytes(floor.bytesPerLive())).append(" | ")
                            .append(Report.ratio(m.bytesPerLive() / floor.bytesPerLive())).append(" | ")
                            .append(m.hasGoal ? "≤ " + bytes(GOAL_BYTES) : "-").append(" | ")
                            .append(m.result()).append(" |\n");
                }
            }
            out.append("\n| After closing all ").append(count(LIVE))
                    .append(" | Live took | Left above baseline | Result |\n");
            out.append("|---|---:|---:|---|\n");
            for (Measurement m : measurements) {
                out.append("| ").append(m.label).append(" | ").append(megabytes(m.bytesPerLive() * m.live))
                        .append(" | ").append(megabytes(m.residual())).append(" | ")
                        .append(m.returned() ? "returned" : "kept").append(" |\n");
            }
            return out.append('\n').append(method).append('\n').toString();
        }
    }

    static final String C_STATE = "cState";

    private static final String METHOD = "Resident bytes: Rss of /proc/self/smaps_rollup, the Java heap fixed and"
            + " pre-touched, its objects' share added from the heap used after a full collection; glibc's"
            + " malloc_trim(0) called before each reading. Returned: what stays after closing is at most "
            + Math.round(RETURNED_SHARE * 100) + "% of what the live ones took.";

    private static final MethodHandle MALLOC_TRIM = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("malloc_trim").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    /** Opens n of one kind, all kept alive, and closes them all again. */
    private interface Population {
        void open(int n) throws Throwable;

        void close() throws Throwable;
    }

    private MemoryUse() {}

    public static void main(String[] args) throws Throwable {
        if (args.length != 1) {
            System.err.println("usage: MemoryUse OUTPUT_DIR");
            System.exit(2);
        }
        List<Measurement> measurements = List.of(
                measure(C_STATE, "C state, standard libraries", false, new CStates(null)),
                measure("cStateFfi", "C state, standard libraries, FFI loaded", false,
                        new CStates("require('ffi')")),
                measure("luaState", "Live LuaState (LuaState.open())", true, new LuaStates()),
                measure("callback", "Live callback (int (*)(int), 1 state)", true, new Callbacks()));
        Results results = new Results(METHOD, measurements);
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        JmhResults.JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(FILE).toFile(), results);
        System.out.println("MemoryUse: written " + dir.resolve(FILE) + " (the report prints it)");
    }

    static Results read(Path file) throws IOException {
        return JmhResults.JSON.readValue(file.toFile(), Results.class);
    }

    private static Measurement measure(String kind, String label, boolean hasGoal, Population population)
            throws Throwable {
        population.open(WARM);
        population.close();
        Reading baseline = reading();
        population.open(LIVE);
        Reading live = reading();
        population.close();
        return new Measurement(kind, label, hasGoal, LIVE, baseline, live, reading());
    }

    /**
     * A reading once memory has settled: the native memory of the library's automatic arenas is freed by the JDK's
     * cleaner thread after a collection, so collections, trims and readings repeat (a pause between) until the
     * resident size stops falling, for at most SETTLE_ROUNDS.
     */
    private static Reading reading() throws Throwable {
        long resident = Long.MAX_VALUE;
        for (int round = 0; round < SETTLE_ROUNDS; round++) {
            System.gc();
            Thread.sleep(SETTLE_PAUSE_MS);
            int trimmed = (int) MALLOC_TRIM.invokeExact(0L);
            long now = resident();
            boolean settled = now > resident - SETTLED_BYTES;
            resident = Math.min(resident, now);
            if (settled) {
                break;
            }
        }
        System.gc();
        return new Reading(resident, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }

    private static final int SETTLE_ROUNDS = 20;
    private static final long SETTLE_PAUSE_MS = 100;
    private static final long SETTLED_BYTES = 256 * 1024;

    /** The process's resident bytes: the Rss line of /proc/self/smaps_rollup, in kB. */
    private static long resident() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
            if (line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no Rss line in /proc/self/smaps_rollup");
    }

    private static String count(int n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String bytes(double bytes) {
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1024);
    }

    private static String megabytes(double bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024 * 1024));
    }

    private static final class Callbacks implements Population {
        private final List<Callback> open = new ArrayList<>();

        @Override
        public void open(int n) {
            for (int i = 0; i < n; i++) {
                open.add(CallbackBench.TYPE.create(CallbackBench.CHUNK));
            }
        }

        @Override
        public void close() {
            open.forEach(Callback::close);
            open.clear();
        }
    }

    private static final class LuaStates implements Population {
        private final List<LuaState> open = new ArrayList<>();

        @Override
        public void open(int n) {
            for (int i = 0; i < n; i++) {
                open.add(LuaState.open());
            }
        }

        @Override
        public void close() {
            open.forEach(LuaState::close);
            open.clear();
        }
    }

    /** luaL_newstate + luaL_openlibs (and a chunk, unless null), n times in C, the pointers kept in native memory. */
    private static final class CStates implements Population {
        private final String chunk;
        private Arena arena;
        private MemorySegment states;
        private int count;

        CStates(String chunk) {
            this.chunk = chunk;
        }

        @Override
        public void open(int n) throws Throwable {
            arena = Arena.ofConfined();
            states = arena.allocate(ADDRESS, n);
            MemorySegment source = chunk == null ? MemorySegment.NULL : arena.allocateFrom(chunk);
            count = (int) Baselines.STATES_OPEN.invokeExact(states, n, source);
            if (count != n) {
                close();
                throw new IllegalStateException("C opened " + count + " of " + n + " states");
            }
        }

        @Override
        public void close() throws Throwable {
            Baselines.STATES_CLOSE.invokeExact(states, count);
            arena.close();
        }
    }
}
