package qwen2vl4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.CheckpointQuantizer;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.CausalAttention;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.KvRows;
import qwen2vl4j.kernels.MachineProbe;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.TextOps;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;
import qwen2vl4j.vision.VisionTransformer;

/**
 * {@code qwen2vl4j bench}: measures this machine's limits (memory read bandwidth, f32 FMA
 * throughput) and the engine's speed at the real Qwen2-VL-2B geometry in the same run, and prints
 * each figure with the fraction of its bound. Without {@code --model} it generates (once, cached
 * under {@code --out}) a folder of random bf16 weights at that geometry and measures it as stored and
 * quantized at load time to Q8_0 and Q4_0. With several formats each one runs in a JVM of its own (so
 * that its peak RSS is its own); the machine is measured once, after them, and every fraction is taken
 * against that measurement.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure speed against this machine's memory bandwidth and FMA peak, at the real Qwen2-VL-2B geometry.")
final class BenchCommand implements Callable<Integer> {
    /** The parts of the benchmark {@code --only} can pick. */
    enum Part { machine, kernels, attention, vision, vision1280, prefill, decode, decode4k }

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

    @Option(names = "--formats", split = ",", paramLabel = "FORMAT",
            description = "Weight formats to measure, each in a JVM of its own: bf16 (as stored), q8_0, q4_0 (quantized at load time). "
                    + "Default: all three for the generated model, the model as stored with --model.")
    List<String> formats;

    /** Internal: run one format in this JVM and print its raw figures for the parent run. */
    @Option(names = "--child", hidden = true)
    boolean child;

    /** The figures of the format measured in this JVM. */
    private final Map<String, Object> result = new LinkedHashMap<>();
    private final Map<String, Object> kernels = new LinkedHashMap<>();
    private final List<Measure> measures = new ArrayList<>();
    private double readBytesPerS;
    private double flopPerS;

    /** The figures of one weight format: its result fields and its timed runs. */
    private record FormatRun(Map<String, Object> result, List<Measure> measures) {}

    @Override
    public Integer call() throws IOException {
        Set<Part> parts = only == null || only.isEmpty() ? EnumSet.allOf(Part.class) : EnumSet.copyOf(only);
        if (promptTokens < 1 || decodeTokens < 1 || longContext < 1 || bandwidthMib < 16) {
            throw new IllegalArgumentException("--prompt-tokens, --decode-tokens and --long-context must be positive and --bandwidth-mib at least 16");
        }
        List<WeightFormat> chosen = weightFormats();
        boolean modelParts = !parts.equals(EnumSet.of(Part.machine));
        List<FormatRun> runs = new ArrayList<>();
        if (!modelParts || chosen.size() == 1) {
            runs.add(measureInProcess(parts, chosen.getFirst(), modelParts));
        } else {
            Path folder = model != null ? ModelFolder.resolve(model) : randomModel();
            for (WeightFormat f : chosen) runs.add(measureInChild(folder, f, parts));
        }
        if (child) {
            Map<String, Object> raw = new LinkedHashMap<>();
            raw.put("result", runs.getFirst().result());
            raw.put("measures", runs.getFirst().measures());
            PrintWriter w = spec.commandLine().getOut();
            w.println(new ObjectMapper().writeValueAsString(raw));
            w.flush();
            return 0;
        }

        progress("measuring the machine (" + ComputePool.threads() + " threads) ...");
        readBytesPerS = MachineProbe.readBandwidth((long) bandwidthMib << 20, 5);
        flopPerS = MachineProbe.fmaThroughput(0.5, 3);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("read_gb_s", round(readBytesPerS / 1e9));
        machine.put("fma_gflop_s", round(flopPerS / 1e9));
        machine.put("threads", ComputePool.threads());
        machine.put("float_lanes", MachineProbe.floatLanes());
        for (FormatRun run : runs) {
            for (Measure m : run.measures()) {
                run.result().put(m.json() + "_of_bound", Math.round(m.fraction(readBytesPerS, flopPerS) * 1e6) / 1e6);
                run.result().put(m.json() + "_cpu_share", round(m.cpuShare()));
            }
        }

        PrintWriter w = spec.commandLine().getOut();
        if (format == Format.json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("machine", machine);
            all.put("results", runs.stream().map(FormatRun::result).toList());
            w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
        } else {
            printTable(w, runs);
        }
        w.flush();
        return 0;
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

    /** Measures the model in {@code format} in this JVM. */
    private FormatRun measureInProcess(Set<Part> parts, WeightFormat weightFormat, boolean modelParts) throws IOException {
        result.put("format", null);
        for (String f : new String[] {"decode_tok_s", "decode_4k_tok_s", "prefill_tok_s", "vision_448_s", "vision_1280tok_s", "load_s"}) {
            result.put(f, null);
        }
        if (modelParts) runModel(parts, weightFormat);
        result.putIfAbsent("peak_rss_bytes", peakRssBytes());   // before the bandwidth probe's buffer
        if (!kernels.isEmpty()) result.put("kernels", kernels);
        return new FormatRun(result, measures);
    }

    /**
     * Measures the model in {@code format} in a new JVM started like this one ({@code --child}), which prints its
     * result fields and timed runs as JSON; its progress lines go to this process's stderr as they come.
     */
    private FormatRun measureInChild(Path folder, WeightFormat weightFormat, Set<Part> parts) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "--child",
                "--model", folder.toString(), "--formats", weightFormat.toString(),
                "--only", String.join(",", parts.stream().map(Part::name).toList()),
                "--prompt-tokens", Integer.toString(promptTokens), "--decode-tokens", Integer.toString(decodeTokens),
                "--long-context", Integer.toString(longContext), "--image-grid", imageGrid, "--large-image-grid", largeImageGrid,
                "--kv-cache", kvCache.type.toString()));
        progress("== " + weightFormat + " (a JVM of its own) ==");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        Thread relay = Thread.ofVirtual().start(() -> {
            try (var err = p.errorReader(StandardCharsets.UTF_8)) {
                err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).forEach(this::progress);
            } catch (IOException | UncheckedIOException e) {
                // the child is gone; its exit code tells
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            int rc = p.waitFor();
            relay.join();
            if (rc != 0) throw new IllegalStateException("bench of the " + weightFormat + " weights failed (exit code " + rc + "); its messages are above");
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench interrupted while measuring the " + weightFormat + " weights");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode raw = json.readTree(out);
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = json.convertValue(raw.get("result"), LinkedHashMap.class);
        List<Measure> timed = new ArrayList<>();
        for (JsonNode m : raw.get("measures")) timed.add(json.treeToValue(m, Measure.class));
        return new FormatRun(fields, timed);
    }

    private void runModel(Set<Part> parts, WeightFormat weightFormat) throws IOException {
        Path folder = model != null ? ModelFolder.resolve(model) : randomModel();
        result.put("model", folder.toString());
        progress("loading " + folder + (weightFormat == WeightFormat.BF16 ? "" : ", quantizing to " + weightFormat) + " ...");
        long t0 = System.nanoTime();
        ModelConfig config = ModelConfig.load(folder);
        try (Weights weights = CheckpointQuantizer.quantizeAtLoad(verified(Weights.open(folder), config), config, weightFormat)) {
            VisionTransformer vision = VisionTransformer.load(weights, config.vision());
            TextModel textModel = TextModel.load(weights, config);
            List<Matrix> layers = ModelCost.textMatrices(weights, config.text());
            Matrix head = ModelCost.lmHead(weights, config.text());
            result.put("format", head.dtype().name().toLowerCase(java.util.Locale.ROOT));
            double loadS = seconds(t0);
            result.put("load_s", round(loadS));
            long perToken = ModelCost.weightBytesPerToken(layers, head);
            result.put("weight_bytes_per_token", perToken);

            result.put("kv_cache", kvCache.type.toString());
            result.put("kv_bytes_per_token", kvCache.type.bytesPerToken(config.text()));
            if (parts.contains(Part.vision) || parts.contains(Part.vision1280)) vision(vision, config.vision(), parts);
            if (parts.contains(Part.prefill) || parts.contains(Part.decode) || parts.contains(Part.decode4k)) {
                text(textModel, parts, layers, head, perToken);
            }
            // the model's own peak: the kernel and attention measurements below allocate their own test data
            result.put("peak_rss_bytes", peakRssBytes());
            if (parts.contains(Part.kernels)) kernels(weights, layers);
            if (parts.contains(Part.attention)) attention(config.text());
        }
    }

    /** {@code weights} once their tensors agree with {@code config}; closed when they do not. */
    private static Weights verified(Weights weights, ModelConfig config) {
        try {
            CheckpointLayout.verify(weights, config);
            return weights;
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The cached random-weight folder under {@code --out}, generated on first use. */
    private Path randomModel() throws IOException {
        Path folder = out.resolve("qwen2vl-2b-random-bf16");
        if (!RandomModel.isComplete(folder)) {
            progress("generating random bf16 weights at the real geometry in " + folder + " (once; about 4.4 GB) ...");
            long t0 = System.nanoTime();
            long bytes = RandomModel.write(folder, 42);
            progress(String.format("  wrote %.2f GB in %.1f s", bytes / 1e9, seconds(t0)));
        }
        return folder;
    }

    /** The tiled GEMM against the previous tiled kernel, and the GEMV against the row-wise kernel it replaced, on real shapes. */
    private void kernels(Weights weights, List<Matrix> layers) {
        progress("kernels: tiled GEMM against the previous tiled kernel, GEMV against the row-wise baseline ...");
        gemm("gemm", Matrix.of(weights.tensor("visual.blocks.0.mlp.fc1.weight")), 1024);
        gemm("gemm_prefill", layers.get(5), 512);

        // the up-projections of every layer in turn (over 700 MB), so the weights stream from memory, not cache
        List<Matrix> ups = new ArrayList<>();
        for (int l = 5; l < layers.size(); l += 7) ups.add(layers.get(l));
        Matrix up = ups.getFirst();
        float[] v = random(up.cols(), 2), o = new float[up.rows()];
        double bytes = 0;
        for (Matrix m : ups) bytes += ModelCost.bytes(m);
        Runnable tiledPass = () -> ups.forEach(m -> MatMul.matmul(v, 1, m, null, o));
        Runnable rowwisePass = () -> ups.forEach(m -> MatMul.matmulRowwise(v, 1, m, null, o));
        tiledPass.run();
        rowwisePass.run();
        Timing gemvRun = best(3, tiledPass);
        double gemv = gemvRun.seconds();
        Timing gemvRowwiseRun = best(3, rowwisePass);
        double gemvRowwise = gemvRowwiseRun.seconds();
        kernels.put("gemv_gb_s", round(bytes / gemv / 1e9));
        kernels.put("gemv_rowwise_gb_s", round(bytes / gemvRowwise / 1e9));
        kernels.put("gemv_speedup", round(gemvRowwise / gemv));
        String g = ups.size() + "x [" + up.rows() + "x" + up.cols() + "] bf16";
        measure("GEMV " + g, "gemv", gemv, gemvRun.cpuShare(), bytes / 1e9, "GB/s", Bound.BYTES, bytes);
        measure("GEMV same, row-wise baseline", "gemv_rowwise", gemvRowwise, gemvRowwiseRun.cpuShare(), bytes / 1e9, "GB/s", Bound.BYTES, bytes);
    }

    /** {@code n} random input rows times {@code w}ᵀ: the tiled GEMM and its previous version, run in turns. */
    private void gemm(String json, Matrix w, int n) {
        float[] x = random(n * w.cols(), 1), y = new float[n * w.rows()];
        double flops = 2.0 * n * w.rows() * w.cols();
        Timing[] runs = interleaved(4, () -> MatMul.matmul(x, n, w, null, y), () -> MatMul.matmulTiledBaseline(x, n, w, null, y));
        double tiled = runs[0].seconds(), previous = runs[1].seconds();
        kernels.put(json + "_gflop_s", round(flops / tiled / 1e9));
        kernels.put(json + "_previous_gflop_s", round(flops / previous / 1e9));
        kernels.put(json + "_speedup", round(previous / tiled));
        String shape = "[" + n + "x" + w.cols() + "]·[" + w.rows() + "x" + w.cols() + "]ᵀ";
        measure("GEMM " + shape + " tiled", json, tiled, runs[0].cpuShare(), flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
        measure("GEMM same, previous tiled kernel", json + "_previous", previous, runs[1].cpuShare(), flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
    }

    /**
     * One decode step's attention at {@code --long-context} over {@link #ATTENTION_LAYERS} layers' caches (more than
     * the last-level cache holds): {@link CausalAttention} against its scalar twin {@link TextOps#attend} run per head
     * across the common pool, as the decoder did before, interleaved in the same run.
     */
    private void attention(TextConfig t) {
        int heads = t.numAttentionHeads(), kvHeads = t.numKeyValueHeads(), d = t.headDim(), kvDim = t.kvDim(), ctx = longContext;
        progress("attention: one decode row over " + ctx + " cached tokens x " + ATTENTION_LAYERS + " layers, " + kvCache.type + " cache ...");
        KvRows.Precision precision = KvRows.Precision.valueOf(kvCache.type.name());
        KvRows[] keys = new KvRows[ATTENTION_LAYERS], values = new KvRows[ATTENTION_LAYERS];
        float[][] keysF32 = new float[ATTENTION_LAYERS][], valuesF32 = new float[ATTENTION_LAYERS][];
        for (int l = 0; l < ATTENTION_LAYERS; l++) {
            keysF32[l] = random(ctx * kvDim, 10 + l);
            valuesF32[l] = random(ctx * kvDim, 100 + l);
            keys[l] = new KvRows(precision, kvDim);
            values[l] = new KvRows(precision, kvDim);
            keys[l].ensureCapacity(ctx);
            values[l].ensureCapacity(ctx);
            keys[l].write(0, keysF32[l], 0, ctx);
            values[l].write(0, valuesF32[l], 0, ctx);
        }
        float[] q = random(heads * d, 3), out = new float[heads * d];
        float[][] scores = new float[heads][ctx];
        float scale = (float) (1 / Math.sqrt(d));
        CausalAttention attention = new CausalAttention(heads, kvHeads, d);
        CausalAttention.Workspace ws = new CausalAttention.Workspace();
        Runnable fused = () -> {
            for (int l = 0; l < ATTENTION_LAYERS; l++) attention.attend(q, out, 1, ctx - 1, keys[l], values[l], ws);
        };
        Runnable scalar = () -> {
            for (int l = 0; l < ATTENTION_LAYERS; l++) {
                float[] k = keysF32[l], v = valuesF32[l];
                java.util.stream.IntStream.range(0, heads).parallel().forEach(h ->
                        TextOps.attend(q, h * d, k, v, (h / (heads / kvHeads)) * d, kvDim, ctx, d, scale, scores[h], out, h * d));
            }
        };
        double bestFused = Double.MAX_VALUE, bestScalar = Double.MAX_VALUE;
        long cFused = 0, cScalar = 0;
        double wFused = 0, wScalar = 0;
        fused.run();
        scalar.run();
        for (int round = 0; round < 5; round++) {                       // interleaved: both see the same machine load
            long c0 = cpuNanos(), t0 = System.nanoTime();
            fused.run();
            double s = seconds(t0);
            cFused += cpuNanos() - c0;
            wFused += s;
            bestFused = Math.min(bestFused, s);
            c0 = cpuNanos();
            t0 = System.nanoTime();
            scalar.run();
            s = seconds(t0);
            cScalar += cpuNanos() - c0;
            wScalar += s;
            bestScalar = Math.min(bestScalar, s);
        }
        double bytes = (double) ATTENTION_LAYERS * ctx * 2 * kvDim * precision.bytes();
        double bytesScalar = (double) ATTENTION_LAYERS * ctx * 2 * kvDim * Float.BYTES;
        kernels.put("attention_ms_per_layer", round(bestFused * 1e3 / ATTENTION_LAYERS));
        kernels.put("attention_scalar_ms_per_layer", round(bestScalar * 1e3 / ATTENTION_LAYERS));
        kernels.put("attention_speedup", round(bestScalar / bestFused));
        measure("attention " + ctx + " keys x" + ATTENTION_LAYERS + " layers, " + kvCache.type, "attention", bestFused, cFused / 1e9 / wFused / ComputePool.threads(),
                bytes / 1e9, "GB/s", Bound.BYTES, bytes);
        measure("attention same, scalar f32 baseline", "attention_scalar", bestScalar, cScalar / 1e9 / wScalar / ComputePool.threads(),
                bytesScalar / 1e9, "GB/s", Bound.BYTES, bytesScalar);
        prefillAttention(t, precision);
    }

    /**
     * A prefill's attention: {@code min(--long-context, 1024)} new rows over an empty cache, one layer, against the
     * scalar twin per row and head, interleaved; the bound is the FMA peak for the causal QK and PV products.
     */
    private void prefillAttention(TextConfig t, KvRows.Precision precision) {
        int heads = t.numAttentionHeads(), kvHeads = t.numKeyValueHeads(), d = t.headDim(), kvDim = t.kvDim();
        int rows = Math.min(longContext, 1024), qDim = heads * d;
        progress("attention: prefill of " + rows + " rows ...");
        float[] k = random(rows * kvDim, 21), v = random(rows * kvDim, 22), q = random(rows * qDim, 23), out = new float[rows * qDim];
        KvRows keys = new KvRows(precision, kvDim), values = new KvRows(precision, kvDim);
        keys.ensureCapacity(rows);
        values.ensureCapacity(rows);
        keys.write(0, k, 0, rows);
        values.write(0, v, 0, rows);
        float[][] scores = new float[heads][rows];
        float scale = (float) (1 / Math.sqrt(d));
        CausalAttention attention = new CausalAttention(heads, kvHeads, d);
        CausalAttention.Workspace ws = new CausalAttention.Workspace();
        Runnable fused = () -> attention.attend(q, out, rows, 0, keys, values, ws);
        Runnable scalar = () -> java.util.stream.IntStream.range(0, heads).parallel().forEach(h -> {
            for (int i = 0; i < rows; i++) {
                TextOps.attend(q, i * qDim + h * d, k, v, (h / (heads / kvHeads)) * d, kvDim, i + 1, d, scale, scores[h], out, i * qDim + h * d);
            }
        });
        double bestFused = Double.MAX_VALUE, bestScalar = Double.MAX_VALUE;
        fused.run();
        long c0 = cpuNanos(), t0 = System.nanoTime();
        for (int round = 0; round < 3; round++) {
            long s0 = System.nanoTime();
            fused.run();
            bestFused = Math.min(bestFused, seconds(s0));
            s0 = System.nanoTime();
            scalar.run();
            bestScalar = Math.min(bestScalar, seconds(s0));
        }
        double share = (cpuNanos() - c0) / 1e9 / seconds(t0) / ComputePool.threads();
        double flops = 4.0 * heads * d * ((double) rows * (rows + 1) / 2);
        kernels.put("prefill_attention_speedup", round(bestScalar / bestFused));
        measure("attention prefill " + rows + " rows, " + kvCache.type, "prefill_attention", bestFused, share, flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
        measure("attention same, scalar f32 baseline", "prefill_attention_scalar", bestScalar, share, flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
    }

    /** Layers of cache the attention measurement walks through per step. */
    private static final int ATTENTION_LAYERS = 8;

    private void vision(VisionTransformer vision, VisionConfig v, Set<Part> parts) {
        progress("vision: warming up ...");
        encode(vision, v, 4, 4);
        int[] small = grid(imageGrid, "--image-grid"), large = grid(largeImageGrid, "--large-image-grid");
        if (parts.contains(Part.vision)) {
            String smallName = "image " + small[0] * 14 + "x" + small[1] * 14 + " (" + small[0] * small[1] + " patches)";
            progress("vision: " + smallName + " ...");
            long c0 = cpuNanos();
            double sSmall = encode(vision, v, small[0], small[1]);
            result.put("vision_448_s", round(sSmall));
            measure("vision " + smallName, "vision_448", sSmall, c0, 1, "s", Bound.FLOPS, ModelCost.visionFlops(v, 1, small[0], small[1]));
        }
        if (!parts.contains(Part.vision1280)) return;
        String largeName = "image " + large[0] * large[1] / 4 + " tokens (" + large[0] * large[1] + " patches)";
        progress("vision: " + largeName + " ...");
        long c0 = cpuNanos();
        double sLarge = encode(vision, v, large[0], large[1]);
        result.put("vision_1280tok_s", round(sLarge));
        measure("vision " + largeName, "vision_1280tok", sLarge, c0, 1, "s", Bound.FLOPS, ModelCost.visionFlops(v, 1, large[0], large[1]));
    }

    /** {@code HxW} in patches, both even (the 2×2 merge). */
    private static int[] grid(String text, String option) {
        String[] p = text.split("x");
        try {
            if (p.length == 2) {
                int h = Integer.parseInt(p[0]), w = Integer.parseInt(p[1]);
                if (h >= 2 && w >= 2 && h % 2 == 0 && w % 2 == 0) return new int[] {h, w};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " '" + text + "': expected HxW in patches, both even and at least 2, e.g. 32x32");
    }

    private static double encode(VisionTransformer vision, VisionConfig v, int h, int w) {
        int patches = h * w;
        float[] pixels = random(patches * v.patchValues(), patches);
        long t0 = System.nanoTime();
        vision.forward(pixels, patches, List.of(new Grid(1, h, w)));
        return seconds(t0);
    }

    /**
     * The text decoder: prefill of {@code --prompt-tokens} random tokens, then {@code --decode-tokens}
     * decode steps after it (short context), and the same after a prefill of {@code --long-context}.
     */
    private void text(TextModel text, Set<Part> parts, List<Matrix> layers, Matrix head, long perToken) {
        TextConfig t = text.config();
        TextSession session = text.newSession(kvCache.type);
        progress("text: warming up ...");
        prefill(session, 16, 5);
        for (int i = 0; i < 3; i++) session.decode(7 + i);
        session.reset();
        if (parts.contains(Part.prefill)) {
            progress("text: prefill of " + promptTokens + " tokens ...");
            long c0 = cpuNanos();
            double s = prefill(session, promptTokens, 6);
            result.put("prefill_tok_s", round(promptTokens / s));
            measure("prefill " + promptTokens + " tokens", "prefill", s, c0, promptTokens, "tok/s", Bound.FLOPS,
                    ModelCost.prefillFlops(layers, head, t, promptTokens));
        } else {
            prefill(session, 16, 6);
        }
        if (parts.contains(Part.decode)) {
            progress("text: " + decodeTokens + " decode steps at context " + session.length() + " ...");
            decode(session, "decode " + decodeTokens + " tok, context " + session.length(), "decode", "decode_tok_s", t, perToken);
        }
        if (parts.contains(Part.decode4k)) {
            session.reset();
            progress("text: prefill of " + longContext + " tokens for the long-context decode ...");
            prefill(session, longContext, 7);
            progress("text: " + decodeTokens + " decode steps at context " + longContext + " ...");
            decode(session, "decode " + decodeTokens + " tok, context " + longContext, "decode_4k", "decode_4k_tok_s", t, perToken);
        }
    }

    /** Prefills {@code n} random text tokens into the (empty) session; returns the seconds taken. */
    private static double prefill(TextSession session, int n, long seed) {
        Random rnd = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(151_000);
        int[][] positions = session.nextTextPositions(n);
        long t0 = System.nanoTime();
        session.prefill(ids, null, null, positions);
        return seconds(t0);
    }

    /** {@code --decode-tokens} steps; the bound reads every weight and the cached keys and values once per step. */
    private void decode(TextSession session, String label, String json, String field, TextConfig t, long perToken) {
        int start = session.length();
        long c0 = cpuNanos(), t0 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) session.decode(1000 + i);
        double s = seconds(t0);
        double bytes = (double) perToken * decodeTokens;
        for (int i = 0; i < decodeTokens; i++) bytes += (double) kvCache.type.bytesPerToken(t) * (start + i + 1);
        result.put(field, round(decodeTokens / s));
        measure(label, json, s, c0, decodeTokens, "tok/s", Bound.BYTES, bytes);
    }

    private void printTable(PrintWriter w, List<FormatRun> runs) {
        w.printf("machine: %d threads, %d-lane f32 vectors; memory read %.1f GB/s; f32 FMA %.1f GFLOP/s%n",
                ComputePool.threads(), MachineProbe.floatLanes(), readBytesPerS / 1e9, flopPerS / 1e9);
        for (FormatRun run : runs) {
            Map<String, Object> r = run.result();
            w.println();
            if (r.get("model") != null) {
                w.printf("model: %s (%s, %.2f GB read per decoded token)%n", r.get("model"), r.get("format"),
                        ((Number) r.get("weight_bytes_per_token")).doubleValue() / 1e9);
            }
            if (r.get("kv_bytes_per_token") != null) {
                long kv = ((Number) r.get("kv_bytes_per_token")).longValue();
                w.printf("KV cache: %s, %d bytes per token of context (%.0f MB at %d tokens)%n", r.get("kv_cache"), kv, kv * (double) longContext / 1e6, longContext);
            }
            if (r.get("load_s") != null) {
                w.printf("load (mmap, bind every tensor%s): %.2f s%n", "bf16".equals(r.get("format")) ? "" : ", quantize",
                        ((Number) r.get("load_s")).doubleValue());
            }
            if (!run.measures().isEmpty()) {
                w.printf("%-40s %16s %16s %9s %9s%n", "measure", "value", "bound", "of bound", "cpu used");
                for (Measure m : run.measures()) {
                    String[] cells = m.cells(readBytesPerS, flopPerS);
                    w.printf("%-40s %16s %16s %9s %9s%n", cells[0], cells[1], cells[2], cells[3], cells[4]);
                }
            }
            w.printf("peak RSS of the model runs: %.2f GB%n", ((Number) r.get("peak_rss_bytes")).longValue() / 1e9);
        }
        w.println("(cpu used: process CPU time ÷ (wall time × threads); well under 100% means other processes took the cores)");
    }

    /** What bounds a measurement: arithmetic (FLOPs at the FMA peak) or memory traffic (bytes at the read bandwidth). */
    enum Bound { FLOPS, BYTES }

    /**
     * One timed run: {@code seconds} for {@code count} units of output ({@code unit} "s" prints the
     * time itself), whose {@code work} of the {@code bound} kind sets the best possible time.
     */
    record Measure(String label, String json, double seconds, double cpuShare, double count, String unit, Bound bound, double work) {
        double boundSeconds(double bytesPerS, double flopPerS) {
            return work / (bound == Bound.FLOPS ? flopPerS : bytesPerS);
        }

        double fraction(double bytesPerS, double flopPerS) {
            return boundSeconds(bytesPerS, flopPerS) / seconds;
        }

        String[] cells(double bytesPerS, double flopPerS) {
            double best = boundSeconds(bytesPerS, flopPerS);
            String value = unit.equals("s") ? fmt(seconds, "s") : fmt(count / seconds, unit);
            String limit = unit.equals("s") ? fmt(best, "s") : fmt(count / best, unit);
            return new String[] {label, value, limit, pct(best / seconds), pct(cpuShare)};
        }
    }

    /** Records a run that took {@code seconds} and started when the process had used {@code cpuStart} ns of CPU. */
    private void measure(String label, String json, double seconds, long cpuStart, double count, String unit, Bound bound, double work) {
        measure(label, json, seconds, (cpuNanos() - cpuStart) / 1e9 / seconds / ComputePool.threads(), count, unit, bound, work);
    }

    /** Records a run that took {@code seconds} with the process using {@code cpuShare} of all threads' time. */
    private void measure(String label, String json, double seconds, double cpuShare, double count, String unit, Bound bound, double work) {
        measures.add(new Measure(label, json, seconds, cpuShare, count, unit, bound, work));
        progress(String.format("  %s: %.3f s%s", label, seconds, unit.equals("s") ? "" : String.format(" (%.2f %s)", count / seconds, unit)));
    }

    private void progress(String message) {
        spec.commandLine().getErr().println(message);
        spec.commandLine().getErr().flush();
    }

    /** Peak resident set size of this process (VmHWM), or -1 where /proc is absent. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** CPU time this process has used, in ns (all threads). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The fastest wall time of several runs, and the CPU share over all of them. */
    private record Timing(double seconds, double cpuShare) {}

    /** Runs {@code r} at least {@code repeats} times and for at least a second; the best time and the mean CPU share. */
    private static Timing best(int repeats, Runnable r) {
        double best = Double.MAX_VALUE;
        long c0 = cpuNanos(), t0 = System.nanoTime();
        for (int i = 0; i < repeats || System.nanoTime() - t0 < 1_000_000_000L; i++) {
            long s0 = System.nanoTime();
            r.run();
            best = Math.min(best, seconds(s0));
        }
        return new Timing(best, (cpuNanos() - c0) / 1e9 / seconds(t0) / ComputePool.threads());
    }

    /**
     * Runs {@code a} and {@code b} in turns (after one warm-up each), {@code rounds} times and for at
     * least a second, so that both see the same load: the best time and the mean CPU share of each.
     */
    private static Timing[] interleaved(int rounds, Runnable a, Runnable b) {
        Runnable[] runs = {a, b};
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE}, wall = new double[2];
        long[] cpu = new long[2];
        a.run();
        b.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds || System.nanoTime() - t0 < 1_000_000_000L; i++) {
            for (int k = 0; k < 2; k++) {
                long c0 = cpuNanos(), s0 = System.nanoTime();
                runs[k].run();
                double s = seconds(s0);
                cpu[k] += cpuNanos() - c0;
                wall[k] += s;
                best[k] = Math.min(best[k], s);
            }
        }
        Timing[] result = new Timing[2];
        for (int k = 0; k < 2; k++) result[k] = new Timing(best[k], cpu[k] / 1e9 / wall[k] / ComputePool.threads());
        return result;
    }

    private static float[] random(int n, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String fmt(double v, String unit) {
        return String.format(v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit);
    }

    private static String pct(double fraction) {
        return String.format("%.0f%%", 100 * fraction);
    }
}
