package qwen2vl4j.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.cli.KvCacheOption;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.ComputePool;

/**
 * {@code qwen2vl4j bench}: measures this machine's limits (memory read bandwidth, f32 FMA
 * throughput) and the engine's speed at the real Qwen2-VL-2B geometry in the same run, and prints
 * each figure with the fraction of its bound. Without {@code --model} it generates (once, cached
 * under {@code --out}) a folder of random bf16 weights at that geometry ({@link RandomModel}) and measures it as
 * stored and quantized at load time to Q8_0 and Q4_0. With several formats each one runs in a JVM of its own
 * ({@link ChildRunner}); the machine is measured once ({@link MachineProbe}), after them, and every fraction is taken
 * against that measurement ({@link BenchReport}). A format's model runs are {@link ModelBench}'s, its kernel runs
 * {@link KernelBench}'s.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure speed against this machine's memory bandwidth and FMA peak, at the real Qwen2-VL-2B geometry.")
public final class BenchCommand implements Callable<Integer> {
    /** The parts of the benchmark {@code --only} can pick. */
    enum Part { machine, kernels, attention, vision, vision1280, prefill, decode, decode4k, batch, profile }

    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "Model folder or Hugging Face repo id (default: random weights at the real geometry, generated into --out).")
    String model;

    @Option(names = "--out", defaultValue = "bench-out", description = "Folder for the generated random-weight model (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--only", split = ",", description = "Run only these parts: ${COMPLETION-CANDIDATES} (the machine is always measured).")
    Set<Part> only;

    @Option(names = "--format", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--prompt-tokens", defaultValue = "512", description = "Prefill length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--decode-tokens", defaultValue = "128", description = "Tokens decoded per measurement (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--long-context", defaultValue = "4096", description = "Context of the long decode measurement (default: ${DEFAULT-VALUE}).")
    int longContext;

    @Option(names = "--image-grid", defaultValue = "32x32", description = "Patch grid of the first image (default: ${DEFAULT-VALUE}, a 448x448 image).")
    String imageGrid;

    @Option(names = "--large-image-grid", defaultValue = "64x80", description = "Patch grid of the large image (default: ${DEFAULT-VALUE}, 1280 merged tokens).")
    String largeImageGrid;

    @Mixin
    KvCacheOption kvCache;

    @Option(names = "--bandwidth-mib", defaultValue = "1024", description = "Buffer for the bandwidth probe, MiB (default: ${DEFAULT-VALUE}).")
    int bandwidthMib;

    @Option(names = {"--formats", "--weights"}, split = ",", paramLabel = "FORMAT",
            description = "Weight formats to measure, each in a JVM of its own: bf16 (as stored), q8_0, q4_0 (quantized at load time). "
                    + "Default: all three for the generated model, the model as stored with --model.")
    List<String> formats;

    @Option(names = "--backend", defaultValue = ComputeBackends.AUTO, paramLabel = "NAME", split = ",",
            description = "Compute backends of the matrix products to measure, each in a JVM of its own when there are several: "
                    + "auto (default), java, or an installed one (e.g. java,onednn).")
    List<String> backends;

    /** The backend the model of this JVM loads on (the first of {@code --backend}; a child gets one). */
    String backend;

    @Option(names = "--precision", split = ",", paramLabel = "f32|bf16", defaultValue = "f32",
            description = "Precisions of the large matrix products to measure, each in a JVM of its own when there are several "
                    + "(e.g. f32,bf16; bf16 runs on the onednn backend where the CPU has bf16 units). Default: ${DEFAULT-VALUE}.")
    List<String> precisions;

    @Option(names = "--vector-bits", split = ",", paramLabel = "BITS",
            description = "Vector widths to measure at, each in a JVM of its own started with -XX:MaxVectorSize (128, 256, 512, "
                    + "up to this CPU's widest; e.g. 256,512). Default: the JVM's own width, in one run.")
    List<Integer> vectorBits;

    /** Internal: run one format in this JVM and print its raw figures for the parent run. */
    @Option(names = "--child", hidden = true)
    boolean child;

    @Override
    public Integer call() throws IOException {
        Set<Part> parts = only == null || only.isEmpty() ? EnumSet.allOf(Part.class) : EnumSet.copyOf(only);
        atLeast("--prompt-tokens", promptTokens, 1);
        atLeast("--decode-tokens", decodeTokens, 1);
        atLeast("--long-context", longContext, 1);
        atLeast("--bandwidth-mib", bandwidthMib, 16);
        ModelBench.grid(imageGrid, "--image-grid");              // before the random model is generated (4.4 GB) and loaded
        ModelBench.grid(largeImageGrid, "--large-image-grid");
        for (String b : backends) LoadOptions.checkBackend("--backend", b);   // an unknown name fails before anything is measured
        backend = backends.getFirst();
        List<Run> chosen = runs();
        boolean modelParts = !parts.equals(EnumSet.of(Part.machine));
        List<Figures> runs = new ArrayList<>();
        if (!modelParts || (chosen.size() == 1 && chosen.getFirst().vectorBits() == null)) {
            Figures figures = new Figures(this::progress);
            for (String f : new String[] {"format", "precision", "vector_bits", "decode_tok_s", "decode_4k_tok_s", "prefill_tok_s",
                    "vision_448_s", "vision_1280tok_s", "batched_decode_4_tok_s", "batched_decode_8_tok_s", "load_s"}) {
                figures.result.put(f, null);
            }
            figures.result.put("vector_bits", MachineProbe.floatLanes() * 32);
            if (modelParts) new ModelBench(this, figures).run(modelFolder(), parts, chosen.getFirst().format(), chosen.getFirst().precision());
            figures.result.putIfAbsent("peak_rss_bytes", Timing.peakRssBytes());   // before the bandwidth probe's buffer
            if (!figures.kernels.isEmpty()) figures.result.put("kernels", figures.kernels);
            runs.add(figures);
        } else {
            Path folder = modelFolder();
            for (Run r : chosen) {
                List<String> jvm = r.vectorBits() == null ? List.of() : List.of("-XX:MaxVectorSize=" + r.vectorBits() / 8);
                runs.add(ChildRunner.run(r.toString(), jvm, childArgs(folder, r, parts), this::progress));
            }
        }
        PrintWriter w = spec.commandLine().getOut();
        if (child) {
            ChildRunner.send(w, runs.getFirst());
            return 0;
        }

        progress("measuring the machine (" + ComputePool.threads() + " threads) ...");
        double readBytesPerS = MachineProbe.readBandwidth((long) bandwidthMib << 20, 5);
        double flopPerS = MachineProbe.fmaThroughput(0.5, 3);
        MatmulPeaks peaks = MatmulPeaks.measure(this::progress);
        BenchReport report = new BenchReport(readBytesPerS, flopPerS, ComputePool.threads(), MachineProbe.floatLanes(), longContext, peaks);
        report.addFractions(runs);
        if (format == Format.json) {
            report.printJson(w, runs);
        } else {
            report.printTable(w, runs);
        }
        w.flush();
        return 0;
    }

    /** One measured configuration: a weight format, a precision and a vector width (null: the JVM's own). */
    record Run(WeightFormat format, Precision precision, String backend, Integer vectorBits) {
        @Override
        public String toString() {
            return format + " " + precision.label() + (backend.equals(ComputeBackends.AUTO) ? "" : " on " + backend)
                    + (vectorBits == null ? "" : " at " + vectorBits + "-bit vectors");
        }
    }

    /** Every combination of {@code --formats}, {@code --precision}, {@code --backend} and {@code --vector-bits}. */
    private List<Run> runs() {
        List<Precision> ps = new ArrayList<>();
        for (String p : precisions == null || precisions.isEmpty() ? List.of("f32") : precisions) {
            try {
                Precision parsed = Precision.parse(p);
                if (!ps.contains(parsed)) ps.add(parsed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--precision: " + e.getMessage());
            }
        }
        List<Integer> bits = new ArrayList<>();
        int widest = MachineProbe.floatLanes() * 32;
        for (int b : vectorBits == null ? List.<Integer>of() : vectorBits) {
            if (b != 128 && b != 256 && b != 512 || b > widest) {
                List<String> allowed = new ArrayList<>();
                for (int a = 128; a <= Math.max(128, widest); a *= 2) allowed.add(Integer.toString(a));
                throw new IllegalArgumentException("--vector-bits " + b + ": this JVM's vectors are at most " + widest + " bits here (allowed: "
                        + String.join(", ", allowed) + ")");
            }
            if (!bits.contains(b)) bits.add(b);
        }
        if (bits.isEmpty()) bits.add(null);
        List<Run> list = new ArrayList<>();
        for (WeightFormat f : weightFormats()) {
            for (Precision p : ps) {
                for (String backendName : new java.util.LinkedHashSet<>(backends)) {
                    for (Integer b : bits) list.add(new Run(f, p, backendName, b));
                }
            }
        }
        return list;
    }

    /** The arguments of the child JVM that measures {@code run} (its vector width is a JVM flag). */
    private List<String> childArgs(Path folder, Run run, Set<Part> parts) {
        return List.of("--model", folder.toString(), "--formats", run.format().toString(), "--precision", run.precision().label(),
                "--only", String.join(",", parts.stream().map(Part::name).toList()),
                "--prompt-tokens", Integer.toString(promptTokens), "--decode-tokens", Integer.toString(decodeTokens),
                "--long-context", Integer.toString(longContext), "--image-grid", imageGrid, "--large-image-grid", largeImageGrid,
                "--kv-cache", kvCache.type().toString(), "--backend", run.backend());
    }

    /** The formats to measure: {@code --formats}, else all three for the generated model, else the model as stored. */
    private List<WeightFormat> weightFormats() {
        if (formats == null || formats.isEmpty()) {
            return model == null && !child ? List.of(WeightFormat.values()) : List.of(WeightFormat.BF16);
        }
        List<WeightFormat> list = new ArrayList<>();
        for (String f : formats) {
            try {
                WeightFormat parsed = WeightFormat.parse(f);
                if (!list.contains(parsed)) list.add(parsed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--formats: " + e.getMessage());
            }
        }
        return list;
    }

    /** {@code --model}, else the cached random-weight folder under {@code --out}, generated on first use. */
    private Path modelFolder() throws IOException {
        if (model != null) return ModelFolder.resolve(model);
        Path folder = out.resolve("qwen2vl-2b-random-bf16");
        if (!RandomModel.isComplete(folder)) {
            progress("generating random bf16 weights at the real geometry in " + folder + " (once; about 4.4 GB) ...");
            long t0 = System.nanoTime();
            long bytes = RandomModel.write(folder, 42);
            progress(String.format("  wrote %.2f GB in %.1f s", bytes / 1e9, Timing.seconds(t0)));
        }
        RandomModel.writeSideFiles(folder);
        return folder;
    }

    private void progress(String message) {
        spec.commandLine().getErr().println(message);
        spec.commandLine().getErr().flush();
    }

    private static void atLeast(String flag, long value, long min) {
        if (value < min) throw new IllegalArgumentException(flag + " must be at least " + min + ", found " + value);
    }
}
