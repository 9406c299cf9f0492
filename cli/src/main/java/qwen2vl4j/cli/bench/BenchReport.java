package qwen2vl4j.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The benchmark's report: the machine's limits and, for each weight format, its figures with the fraction of their
 * bound, as a table or as one JSON object.
 */
final class BenchReport {
    private final double readBytesPerS;
    private final double flopPerS;
    private final int threads;
    private final int floatLanes;
    private final int longContext;
    private final MatmulPeaks peaks;

    /** A report against the limits measured in this run. */
    BenchReport(double readBytesPerS, double flopPerS, int threads, int floatLanes, int longContext, MatmulPeaks peaks) {
        this.peaks = peaks;
        this.readBytesPerS = readBytesPerS;
        this.flopPerS = flopPerS;
        this.threads = threads;
        this.floatLanes = floatLanes;
        this.longContext = longContext;
    }

    /**
     * Adds each timed run's fraction of its bound and CPU share to its run's result fields; for a bf16 run also each
     * arithmetic-bound figure's fraction of oneDNN's bf16 matmul peak and its speed-up over the f32 run of the same
     * format and vector width ({@code _vs_f32}: f32 time ÷ bf16 time).
     */
    void addFractions(List<Figures> runs) {
        for (Figures run : runs) {
            boolean bf16 = "bf16".equals(run.result.get("precision"));
            for (Measure m : run.measures) {
                run.result.put(m.json() + "_of_bound", Math.round(m.fraction(readBytesPerS, flopPerS) * 1e6) / 1e6);
                run.result.put(m.json() + "_cpu_share", Timing.round(m.cpuShare()));
                if (bf16 && m.bound() == Measure.Bound.FLOPS && peaks.bf16Gflops() != null) {
                    run.result.put(m.json() + "_of_bf16_peak", Math.round(m.fraction(readBytesPerS, peaks.bf16Gflops() * 1e9) * 1e6) / 1e6);
                }
            }
            // bf16 against f32 on the same backend (else on java); a native backend against java in the same precision
            if (bf16) compare(run, runs, "f32", null, "_vs_f32");
            if (!"java".equals(run.result.get("backend"))) compare(run, runs, (String) run.result.get("precision"), "java", "_vs_java");
        }
    }

    /** Adds {@code run}'s speed ÷ that of the run of the same format and width in {@code precision} (on {@code backend}: any). */
    private static void compare(Figures run, List<Figures> runs, String precision, String backend, String suffix) {
        Figures base = null;
        for (Figures other : runs) {
            if (other == run || !precision.equals(other.result.get("precision")) || !Objects.equals(other.result.get("format"), run.result.get("format"))
                    || !Objects.equals(other.result.get("vector_bits"), run.result.get("vector_bits"))) continue;
            if (backend != null && !backend.equals(other.result.get("backend"))) continue;
            if (base == null || Objects.equals(other.result.get("backend"), run.result.get("backend"))) base = other;
        }
        if (base == null) return;
        for (Measure m : run.measures) {
            for (Measure f : base.measures) {
                if (f.json().equals(m.json())) run.result.put(m.json() + suffix, Timing.round((m.count() / m.seconds()) / (f.count() / f.seconds())));
            }
        }
    }

    /** {@code {"machine": {...}, "results": [...]}}, indented. */
    void printJson(PrintWriter w, List<Figures> runs) throws JsonProcessingException {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("read_gb_s", Timing.round(readBytesPerS / 1e9));
        machine.put("fma_gflop_s", Timing.round(flopPerS / 1e9));
        machine.put("threads", threads);
        machine.put("float_lanes", floatLanes);
        machine.put("f32_gemm_gflop_s", peaks.f32GemmGflops());
        machine.put("bf16_matmul_gflop_s", peaks.bf16Gflops());
        machine.put("bf16_matmul_implementation", peaks.bf16Implementation());
        machine.put("onednn_f32_gflop_s", peaks.oneDnnF32Gflops());
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("machine", machine);
        all.put("results", runs.stream().map(r -> r.result).toList());
        w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
    }

    void printTable(PrintWriter w, List<Figures> runs) {
        w.printf("machine: %d threads, %d-lane f32 vectors; memory read %.1f GB/s; f32 FMA %.1f GFLOP/s%n",
                threads, floatLanes, readBytesPerS / 1e9, flopPerS / 1e9);
        w.printf("one matmul [%dx%d]·[%dx%d]: Java f32 GEMM %.1f GFLOP/s; oneDNN bf16 %s; oneDNN f32 %s%n", MatmulPeaks.M, MatmulPeaks.K,
                MatmulPeaks.K, MatmulPeaks.N, peaks.f32GemmGflops(),
                peaks.bf16Gflops() == null ? "not on this CPU" : String.format("%.1f GFLOP/s (%s, %.2fx the Java f32 GEMM)", peaks.bf16Gflops(),
                        peaks.bf16Implementation(), peaks.bf16Gflops() / peaks.f32GemmGflops()),
                peaks.oneDnnF32Gflops() == null ? "not loaded" : String.format("%.1f GFLOP/s", peaks.oneDnnF32Gflops()));
        for (Figures run : runs) {
            Map<String, Object> r = run.result;
            w.println();
            if (r.get("model") != null) {
                w.printf("model: %s (%s, %.2f GB read per decoded token); precision %s, %s-bit vectors%n", r.get("model"), r.get("format"),
                        ((Number) r.get("weight_bytes_per_token")).doubleValue() / 1e9, r.get("precision"), r.get("vector_bits"));
            }
            if (r.get("kv_bytes_per_token") != null) {
                long kv = ((Number) r.get("kv_bytes_per_token")).longValue();
                w.printf("KV cache: %s, %d bytes per token of context (%.0f MB at %d tokens)%n", r.get("kv_cache"), kv, kv * (double) longContext / 1e6, longContext);
            }
            if (r.get("load_s") != null) {
                w.printf("load (mmap, bind every tensor%s): %.2f s%n", "bf16".equals(r.get("format")) ? "" : ", quantize",
                        ((Number) r.get("load_s")).doubleValue());
            }
            if (r.get("backend") != null) w.printf("compute backend: %s (%s)%n", r.get("backend"), r.get("implementation"));
            if (r.get("notice") != null) w.printf("note: %s%n", r.get("notice"));
            for (Map.Entry<String, Object> e : r.entrySet()) {
                if (e.getKey().endsWith("_vs_f32")) w.printf("  %s: %.2fx the f32 run%s%n", e.getKey().replace("_vs_f32", ""),
                        ((Number) e.getValue()).doubleValue(), r.get(e.getKey().replace("_vs_f32", "_of_bf16_peak")) == null ? ""
                                : String.format(", %.0f%% of the bf16 matmul peak", 100 * ((Number) r.get(e.getKey().replace("_vs_f32", "_of_bf16_peak"))).doubleValue()));
                if (e.getKey().endsWith("_vs_java")) w.printf("  %s: %.2fx the java run%n", e.getKey().replace("_vs_java", ""), ((Number) e.getValue()).doubleValue());
            }
            if (!run.measures.isEmpty()) {
                w.printf("%-40s %16s %16s %9s %9s%n", "measure", "value", "bound", "of bound", "cpu used");
                for (Measure m : run.measures) {
                    String[] cells = m.cells(readBytesPerS, flopPerS);
                    w.printf("%-40s %16s %16s %9s %9s%n", cells[0], cells[1], cells[2], cells[3], cells[4]);
                }
            }
            if (r.get("decode_profile") instanceof Map<?, ?> p) {
                w.printf("decode step at context %s: %s ms; matrix products %s ms %s; other work %s ms (%.0f%% of the step)%n", p.get("context"),
                        p.get("step_ms"), p.get("products_ms"), p.get("products"), p.get("other_ms"), 100 * ((Number) p.get("other_fraction")).doubleValue());
            }
            w.printf("peak RSS of the model runs: %.2f GB%n", ((Number) r.get("peak_rss_bytes")).longValue() / 1e9);
        }
        w.println("(cpu used: process CPU time ÷ (wall time × threads); well under 100% means other processes took the cores)");
    }
}
