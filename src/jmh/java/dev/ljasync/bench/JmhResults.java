package dev.ljasync.bench;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** JMH's JSON result file, read: each benchmark's median over its measurement iterations, in ns per operation. */
final class JmhResults {

    private static final String PACKAGE = "dev.ljasync.bench.";

    /**
     * JMH's result file read, and the report's written, with Jackson (JMH writes a score it lacks as NaN; what a
     * record also writes for its readers, such as a measurement's bytes per live object, is not read back).
     */
    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /** One benchmark's result: its median as JMH reported it (value, unit) and in nanoseconds per operation. */
    record Result(String name, String mode, double median, String unit, double nanos, List<Double> iterations,
                  int forks, String warmup, String measurement) {}

    /** The results in JMH's JSON file (its runs, parsed), in its order. */
    static List<Result> read(List<?> runs) {
        List<Result> results = new ArrayList<>();
        for (Object o : runs) {
            Map<?, ?> run = (Map<?, ?>) o;
            Map<?, ?> metric = (Map<?, ?>) run.get("primaryMetric");
            String name = (String) run.get("benchmark");
            if (name.startsWith(PACKAGE)) {
                name = name.substring(PACKAGE.length());
            }
            if (run.get("params") instanceof Map<?, ?> params && !params.isEmpty()) {
                name += params.toString();
            }
            List<Double> iterations = iterations(metric);
            if (iterations.isEmpty()) {
                continue;
            }
            String unit = (String) metric.get("scoreUnit");
            double median = median(iterations);
            results.add(new Result(name, (String) run.get("mode"), median, unit, nanosPerOp(median, unit),
                    iterations, ((Number) run.get("forks")).intValue(),
                    run.get("warmupIterations") + " x " + run.get("warmupTime"),
                    run.get("measurementIterations") + " x " + run.get("measurementTime")));
        }
        return results;
    }

    /**
     * Every measurement iteration's score, all forks together: JMH's rawData, or for the sampling modes the mean of
     * each iteration's histogram (rawDataHistogram: per fork, per iteration, pairs of value and count).
     */
    private static List<Double> iterations(Map<?, ?> metric) {
        List<Double> values = new ArrayList<>();
        if (metric.get("rawData") instanceof List<?> forks) {
            for (Object fork : forks) {
                for (Object v : (List<?>) fork) {
                    values.add(((Number) v).doubleValue());
                }
            }
        } else if (metric.get("rawDataHistogram") instanceof List<?> forks) {
            for (Object fork : forks) {
                for (Object iteration : (List<?>) fork) {
                    double sum = 0, count = 0;
                    for (Object pair : (List<?>) iteration) {
                        List<?> p = (List<?>) pair;
                        double value = ((Number) p.get(0)).doubleValue(), n = ((Number) p.get(1)).doubleValue();
                        sum += value * n;
                        count += n;
                    }
                    if (count > 0) {
                        values.add(sum / count);
                    }
                }
            }
        }
        return values;
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** A score in JMH's unit ("ns/op", "us/op", "ops/ms", ...) as nanoseconds per operation. */
    static double nanosPerOp(double score, String unit) {
        String[] parts = unit.split("/");
        if (parts.length == 2 && parts[1].equals("op")) {
            return score * nanosIn(parts[0]);
        }
        if (parts.length == 2 && parts[0].equals("ops")) {
            return nanosIn(parts[1]) / score;
        }
        throw new IllegalArgumentException("unknown JMH unit: " + unit);
    }

    private static double nanosIn(String timeUnit) {
        return switch (timeUnit) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "min" -> 60e9;
            default -> throw new IllegalArgumentException("unknown time unit: " + timeUnit);
        };
    }

    private JmhResults() {}
}
