package qwen2vl4j.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The figures of one weight format: its result fields (the JSON report's object for the format), the kernel figures
 * among them, and its timed runs. Filled in the JVM that measures the format; a child JVM sends them to its parent.
 */
final class Figures {
    final Map<String, Object> result;
    final Map<String, Object> kernels = new LinkedHashMap<>();
    final List<Measure> measures;
    private final Consumer<String> progress;

    Figures(Consumer<String> progress) {
        this(new LinkedHashMap<>(), new ArrayList<>(), progress);
    }

    /** Figures received from a child JVM. */
    Figures(Map<String, Object> result, List<Measure> measures, Consumer<String> progress) {
        this.result = result;
        this.measures = measures;
        this.progress = progress;
    }

    /** Records a run that took {@code seconds} and started when the process had used {@code cpuStart} ns of CPU. */
    void measure(String label, String json, double seconds, long cpuStart, double count, String unit, Measure.Bound bound, double work) {
        measure(label, json, seconds, Timing.cpuShare(cpuStart, seconds), count, unit, bound, work);
    }

    /** Records a run that took {@code seconds} with the process using {@code cpuShare} of all threads' time. */
    void measure(String label, String json, double seconds, double cpuShare, double count, String unit, Measure.Bound bound, double work) {
        measures.add(new Measure(label, json, seconds, cpuShare, count, unit, bound, work));
        progress(String.format("  %s: %.3f s%s", label, seconds, unit.equals("s") ? "" : String.format(" (%.2f %s)", count / seconds, unit)));
    }

    void progress(String message) {
        progress.accept(message);
    }
}
