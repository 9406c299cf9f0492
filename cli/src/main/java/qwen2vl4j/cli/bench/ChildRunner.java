package qwen2vl4j.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import qwen2vl4j.cli.Main;

/**
 * Measures one configuration (weight format, precision, vector width) in a JVM of its own (so that its peak RSS is its own): a new JVM started like this one
 * runs {@code bench --child}, which prints its result fields and timed runs as one JSON line; its progress lines come
 * to this process's stderr as they come.
 */
final class ChildRunner {
    private ChildRunner() {}

    /** The child's side: {@code figures} as the one line its parent reads. */
    static void send(PrintWriter out, Figures figures) throws IOException {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("result", figures.result);
        raw.put("measures", figures.measures);
        out.println(new ObjectMapper().writeValueAsString(raw));
        out.flush();
    }

    /**
     * Runs {@code bench} in a child JVM, started with this one's flags and then {@code jvmFlags} (which win), with
     * {@code args} (which select the model, the format, the precision and the parts); its figures.
     */
    static Figures run(String what, List<String> jvmFlags, List<String> args, Consumer<String> progress) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "--child"));
        cmd.addAll(args);
        progress.accept("== " + what + " (a JVM of its own) ==");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        Thread relay = Thread.ofVirtual().start(() -> {
            try (var err = p.errorReader(StandardCharsets.UTF_8)) {
                err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).forEach(progress);
            } catch (IOException | UncheckedIOException e) {
                // the child is gone; its exit code tells
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int rc = p.waitFor();
            relay.join();
            if (rc != 0) throw new IllegalStateException("bench of " + what + " failed (exit code " + rc + "); its messages are above");
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench interrupted while measuring " + what);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode raw = json.readTree(out);
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = json.convertValue(raw.get("result"), LinkedHashMap.class);
        List<Measure> timed = new ArrayList<>();
        for (JsonNode m : raw.get("measures")) timed.add(json.treeToValue(m, Measure.class));
        return new Figures(fields, timed, progress);
    }
}
