package dev.ljasync.bench;

import dev.ljasync.bench.JmhResults.Result;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The report of a benchmark run, made by scripts/bench after JMH: reads JMH's JSON result file, takes each
 * benchmark's median over its measurement iterations (all forks), pairs cases with baselines as {@link Comparison}
 * says, prints the table, and writes results.json, results.md and the chart of the ratios, ratios.png; with the
 * memory section of {@link MemoryUse} when the run measured it (memory.json beside them).
 *
 * <pre>java dev.ljasync.bench.Report target/bench/jmh.json target/bench</pre>
 */
public final class Report {

    /**
     * One comparison of the run for k callers (0 for a comparison that does not scale), with the results it found
     * (null when that benchmark did not run).
     */
    record Row(Comparison comparison, int callers, Result caseResult, Result baselineResult) {
        String caseLabel() {
            return comparison.caseLabel(callers);
        }

        String caseBenchmark() {
            return comparison.caseBenchmark(callers);
        }

        Comparison.Goal goal() {
            return comparison.goal == null ? null : comparison.goal.forCallers(callers);
        }

        boolean complete() {
            return caseResult != null && baselineResult != null;
        }

        double ratio() {
            return complete() ? comparison.ratio(caseResult.nanos(), baselineResult.nanos()) : Double.NaN;
        }

        /** met, missed, "-" (no goal), pending (the case waits for the library), or not run. */
        String status() {
            if (!complete()) {
                return caseResult == null && comparison.pending != null ? "pending" : "not run";
            }
            if (goal() == null) {
                return "-";
            }
            return goal().metBy(ratio()) ? "met" : "missed";
        }

        String label() {
            return caseLabel() + " vs " + comparison.baselineLabel
                    + (comparison.ratio == Comparison.Ratio.THROUGHPUT ? " (throughput)" : "");
        }
    }

    private Report() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Report JMH_JSON OUTPUT_DIR");
            System.exit(2);
        }
        Path input = Path.of(args[0]);
        Path outDir = Path.of(args[1]);
        List<?> runs = JmhResults.JSON.readValue(input.toFile(), List.class);
        List<Result> results = JmhResults.read(runs);
        if (results.isEmpty()) {
            System.err.println("Report: no benchmark results in " + input);
            System.exit(1);
        }
        List<Row> rows = rows(results);
        Map<String, String> machine = machine((Map<?, ?>) runs.getFirst());
        // the memory measurement of the same run, when scripts/bench made one
        Path memoryFile = outDir.resolve(MemoryUse.FILE);
        MemoryUse.Results memory = Files.isRegularFile(memoryFile) ? MemoryUse.read(memoryFile) : null;

        String table = table(rows, results, machine);
        System.out.print(table);
        if (memory != null) {
            System.out.print(memory.table());
        }
        Files.createDirectories(outDir);
        Map<String, Object> json = json(rows, results, machine);
        if (memory != null) {
            json.put("memory", memory);
        }
        JmhResults.JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("results.json").toFile(), json);
        Files.writeString(outDir.resolve("results.md"), markdown(rows, machine)
                + (memory == null ? "" : "\n" + memory.markdown()));
        Path chart = outDir.resolve("ratios.png");
        RatioChart.write(rows, chart);
        System.out.println("Written: " + outDir.resolve("results.json") + ", " + outDir.resolve("results.md") + ", "
                + chart);
    }

    /**
     * The comparisons that the results have a case or a baseline of, in Comparison's order; one that scales once for
     * each number of callers from 2 up that the results have.
     */
    static List<Row> rows(List<Result> results) {
        Map<String, Result> byName = new LinkedHashMap<>();
        Set<Integer> callers = new TreeSet<>();
        for (Result r : results) {
            byName.put(r.name(), r);
            Matcher m = CALLERS.matcher(r.name());
            if (m.find() && Integer.parseInt(m.group(1)) > 1) {
                callers.add(Integer.parseInt(m.group(1)));
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Comparison c : Comparison.values()) {
            for (int k : c.scaling() ? callers : Set.of(0)) {
                Row row = new Row(c, k, byName.get(c.caseBenchmark(k)), baseline(c, byName));
                if (row.caseResult != null || row.baselineResult != null) {
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private static final Pattern CALLERS = Pattern.compile("\\{callers=(\\d+)}");

    /** A comparison's baseline: its benchmark's result, or for "A + B" the sum of theirs (null unless all ran). */
    private static Result baseline(Comparison c, Map<String, Result> byName) {
        List<String> parts = c.baselineParts();
        if (parts.size() == 1) {
            return byName.get(parts.getFirst());
        }
        double nanos = 0;
        for (String part : parts) {
            Result r = byName.get(part);
            if (r == null) {
                return null;
            }
            nanos += r.nanos();
        }
        Result first = byName.get(parts.getFirst());
        return new Result(c.baselineBenchmark, first.mode(), nanos, "ns/op", nanos, List.of(), first.forks(),
                first.warmup(), first.measurement());
    }

    /** A time per operation: in ns below 1 us, in us below 1 ms, else in ms. */
    static String time(double nanos) {
        if (nanos < 1e3) {
            return String.format(Locale.ROOT, "%.1f ns", nanos);
        }
        if (nanos < 1e6) {
            return String.format(Locale.ROOT, nanos < 1e4 ? "%.2f us" : "%.1f us", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    static String ratio(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String ratioCell(Row row) {
        return ratio(row.ratio()) + (row.complete() && row.comparison.ratio == Comparison.Ratio.THROUGHPUT
                ? " thrpt" : "");
    }

    /** The method of a benchmark name ("Class.method"), or of each in a sum ("A + B"). */
    private static String method(String benchmark) {
        return Arrays.stream(benchmark.split(" \\+ ")).map(b -> b.substring(b.lastIndexOf('.') + 1))
                .collect(Collectors.joining(" + "));
    }

    /** The JDK, JMH, LuaJIT and the machine of the run. */
    private static Map<String, String> machine(Map<?, ?> first) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("jdk", first.get("jdkVersion") + " (" + first.get("vmName") + " " + first.get("vmVersion") + ")");
        m.put("jmh", String.valueOf(first.get("jmhVersion")));
        m.put("luajit", System.getProperty("bench.luajit", "unknown"));
        m.put("cpu", cpu());
        m.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        return m;
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture will do
        }
        return System.getProperty("os.arch");
    }

    private static List<String> notes(List<Row> rows) {
        Set<String> notes = new LinkedHashSet<>();
        for (Row row : rows) {
            if (row.comparison.note != null) {
                notes.add(row.comparison.note);
            }
            if (!row.complete() && row.caseResult == null && row.comparison.pending != null) {
                notes.add(row.comparison.pending + ".");
            }
        }
        return new ArrayList<>(notes);
    }

    private static final String RATIO_NOTE = "Ratio: case time / baseline time (below 1: the case is faster);"
            + " thrpt: case calls per second / baseline calls per second. Medians of JMH's measurement iterations"
            + " over all forks.";

    static String table(List<Row> rows, List<Result> results, Map<String, String> machine) {
        StringBuilder out = new StringBuilder();
        out.append("\nlj-async benchmarks: JDK ").append(machine.get("jdk")).append(", LuaJIT ")
                .append(machine.get("luajit")).append(", ").append(machine.get("cores")).append(" x ")
                .append(machine.get("cpu")).append(", ").append(machine.get("date")).append("\n\n");
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"Case", "Median", "Baseline", "Median", "Ratio", "Goal", "Result"});
        for (Row row : rows) {
            Comparison c = row.comparison;
            cells.add(new String[] {
                    row.caseLabel() + " (" + method(row.caseBenchmark()) + ")",
                    row.caseResult == null ? "-" : time(row.caseResult.nanos()),
                    c.baselineLabel + " (" + method(c.baselineBenchmark) + ")",
                    row.baselineResult == null ? "-" : time(row.baselineResult.nanos()),
                    ratioCell(row),
                    row.goal() == null ? "-" : row.goal().toString(),
                    row.status()});
        }
        columns(cells, out, new boolean[] {false, true, false, true, true, false, false});
        out.append('\n').append(RATIO_NOTE).append('\n');
        for (String note : notes(rows)) {
            out.append(note).append('\n');
        }
        out.append("\nAll results (medians of the measurement iterations):\n");
        List<String[]> all = new ArrayList<>();
        all.add(new String[] {"Benchmark", "Mode", "Median", "Iterations", "JMH median"});
        for (Result r : results) {
            all.add(new String[] {r.name(), r.mode(), time(r.nanos()),
                    r.iterations().size() + " (" + r.forks() + (r.forks() == 1 ? " fork)" : " forks)"),
                    String.format(Locale.ROOT, "%.3f %s", r.median(), r.unit())});
        }
        columns(all, out, new boolean[] {false, false, true, true, true});
        return out.toString();
    }

    /** Rows of cells as aligned columns, the first row a header; right-aligned where right says so. */
    static void columns(List<String[]> cells, StringBuilder out, boolean[] right) {
        int[] width = new int[cells.getFirst().length];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (int r = 0; r < cells.size(); r++) {
            String[] row = cells.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String format = "%" + (right[i] ? "" : "-") + width[i] + "s";
                line.append(i == 0 ? "" : "  ").append(String.format(format, row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0) {
                out.append("-".repeat(Arrays.stream(width).sum() + 2 * (width.length - 1))).append('\n');
            }
        }
    }

    /** The comparison table in Markdown, for the README. */
    static String markdown(List<Row> rows, Map<String, String> machine) {
        StringBuilder out = new StringBuilder();
        out.append("| Case | Median | Baseline | Median | Ratio | Goal | Result |\n");
        out.append("|---|---:|---|---:|---:|---|---|\n");
        Function<String, String> code = s -> "`" + s + "`";
        for (Row row : rows) {
            Comparison c = row.comparison;
            out.append("| ").append(row.caseLabel()).append(" (").append(code.apply(method(row.caseBenchmark())))
                    .append(") | ").append(row.caseResult == null ? "-" : time(row.caseResult.nanos()))
                    .append(" | ").append(c.baselineLabel).append(" (")
                    .append(code.apply(method(c.baselineBenchmark))).append(") | ")
                    .append(row.baselineResult == null ? "-" : time(row.baselineResult.nanos()))
                    .append(" | ").append(ratioCell(row))
                    .append(" | ").append(row.goal() == null ? "-" : row.goal().toString().replace("<=", "≤")
                            .replace(">=", "≥"))
                    .append(" | ").append(row.status()).append(" |\n");
        }
        out.append('\n').append(RATIO_NOTE).append('\n');
        for (String note : notes(rows)) {
            out.append('\n').append(note).append('\n');
        }
        out.append("\nJDK ").append(machine.get("jdk")).append(", LuaJIT ").append(machine.get("luajit"))
                .append(", ").append(machine.get("cores")).append(" x ").append(machine.get("cpu")).append(", ")
                .append(machine.get("date")).append('\n');
        return out.toString();
    }

    static Map<String, Object> json(List<Row> rows, List<Result> results, Map<String, String> machine) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", new LinkedHashMap<>(machine));
        root.put("ratio", RATIO_NOTE);
        List<Object> comparisons = new ArrayList<>();
        for (Row row : rows) {
            Comparison c = row.comparison;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c.name());
            m.put("case", row.caseLabel());
            m.put("caseBenchmark", row.caseBenchmark());
            m.put("callers", row.callers == 0 ? null : row.callers);
            m.put("caseMedian", row.caseResult == null ? null : time(row.caseResult.nanos()));
            m.put("caseMedianNs", row.caseResult == null ? null : row.caseResult.nanos());
            m.put("baseline", c.baselineLabel);
            m.put("baselineBenchmark", c.baselineBenchmark);
            m.put("baselineMedian", row.baselineResult == null ? null : time(row.baselineResult.nanos()));
            m.put("baselineMedianNs", row.baselineResult == null ? null : row.baselineResult.nanos());
            m.put("ratioKind", c.ratio.name().toLowerCase(Locale.ROOT));
            m.put("ratio", row.complete() ? row.ratio() : null);
            m.put("goal", row.goal() == null ? null : row.goal().toString());
            m.put("result", row.status());
            m.put("note", c.note);
            m.put("pending", row.caseResult == null ? c.pending : null);
            comparisons.add(m);
        }
        root.put("comparisons", comparisons);
        List<Object> all = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", r.name());
            m.put("mode", r.mode());
            m.put("median", r.median());
            m.put("unit", r.unit());
            m.put("medianNs", r.nanos());
            m.put("forks", r.forks());
            m.put("warmup", r.warmup());
            m.put("measurement", r.measurement());
            m.put("iterations", new ArrayList<Object>(r.iterations()));
            all.add(m);
        }
        root.put("benchmarks", all);
        return root;
    }
}
