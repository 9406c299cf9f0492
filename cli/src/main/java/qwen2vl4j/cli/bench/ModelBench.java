package qwen2vl4j.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import qwen2vl4j.CheckpointQuantizer;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.cli.bench.BenchCommand.Part;
import qwen2vl4j.cli.bench.Measure.Bound;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.Quantizer;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.text.BatchDecoder;
import qwen2vl4j.text.KvCacheType;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;
import qwen2vl4j.vision.VisionTransformer;

/**
 * The model of one weight format in this JVM, loaded through {@link Qwen2VL#load(Path, LoadOptions)}: load time, the
 * vision encoder on two images, a prefill, decode steps at short and long context, then the kernels alone
 * ({@link KernelBench}) on its own matrices.
 */
final class ModelBench {
    /** The longest a decode measurement waits for the JIT to settle ({@link Timing#untilJitSettles}). */
    static final double WARMUP_SECONDS = 20;
    private final BenchCommand options;
    private final Figures figures;

    ModelBench(BenchCommand options, Figures figures) {
        this.options = options;
        this.figures = figures;
    }

    void run(Path folder, Set<Part> parts, WeightFormat weightFormat, Precision precision) {
        figures.result.put("model", folder.toString());
        figures.result.put("precision", precision.label());
        figures.progress("loading " + folder + (weightFormat == WeightFormat.BF16 ? "" : ", quantizing to " + weightFormat)
                + (precision == Precision.F32 ? "" : ", " + precision.label() + " products") + " ...");
        KvCacheType kvCache = options.kvCache.type();
        LoadOptions load = LoadOptions.builder().weights(weightFormat).kvCache(kvCache).backend(options.backend).precision(precision).build();
        long t0 = System.nanoTime();
        try (Qwen2VL model = Qwen2VL.load(folder, load); Weights stored = Weights.open(folder)) {
            TextConfig t = model.config().text();
            // the matrices as the loader holds them: as stored, or quantized where it quantizes (see CheckpointQuantizer)
            DType type = weightFormat.quantizedType();
            Predicate<String> quantizable = CheckpointQuantizer.quantizable(stored, model.config());
            Predicate<Tensor> quantized = x -> type != null && quantizable.test(x.name()) && Quantizer.canQuantize(x);
            Function<Tensor, DType> loadedType = x -> quantized.test(x) ? type : x.dtype();
            Function<String, Matrix> loaded = name -> {
                Tensor x = stored.tensor(name);
                return quantized.test(x) ? Matrix.quantize(Matrix.of(x), type) : Matrix.of(x);
            };
            List<ModelCost.Shape> layers = ModelCost.shapes(stored, CheckpointLayout.textLinearWeights(model.config()), loadedType);
            ModelCost.Shape head = ModelCost.shapes(stored, List.of(CheckpointLayout.lmHeadName(t, stored)), loadedType).getFirst();
            figures.result.put("format", head.dtype().name().toLowerCase(Locale.ROOT));
            figures.result.put("load_s", Timing.round(Timing.seconds(t0)));
            long perToken = ModelCost.weightBytesPerToken(layers, head);
            figures.result.put("weight_bytes_per_token", perToken);
            figures.result.put("backend", model.compute().backend());
            if (model.compute().notice() != null) figures.result.put("notice", model.compute().notice());

            figures.result.put("kv_cache", kvCache.toString());
            figures.result.put("kv_bytes_per_token", kvCache.bytesPerToken(t));
            if (parts.contains(Part.vision) || parts.contains(Part.vision1280)) vision(model.vision(), model.config().vision(), parts);
            if (parts.contains(Part.prefill) || parts.contains(Part.decode) || parts.contains(Part.decode4k) || parts.contains(Part.batch)) {
                text(model.text(), parts, layers, head, perToken);
            }
            // what ran: the implementation names a native backend reports once it has run
            figures.result.put("implementation", model.compute().implementation());
            // the model's own peak: the kernel and attention measurements below allocate their own test data
            figures.result.put("peak_rss_bytes", Timing.peakRssBytes());
            if (parts.contains(Part.profile)) {
                figures.result.put("decode_profile", DecodeProfile.measure(folder, weightFormat,
                        ComputeBackends.choose(options.backend, precision).backend(), kvCache, options.promptTokens, 16, figures));
            }
            KernelBench kernels = new KernelBench(figures, kvCache, options.longContext);
            if (parts.contains(Part.kernels)) {
                List<Matrix> ups = new ArrayList<>();
                for (int l = 0; l < t.numHiddenLayers(); l++) ups.add(loaded.apply("model.layers." + l + ".mlp.up_proj.weight"));
                kernels.matrices(loaded.apply("visual.blocks.0.mlp.fc1.weight"), ups);
            }
            if (parts.contains(Part.attention)) kernels.attention(t);
        }
    }

    private void vision(VisionTransformer vision, VisionConfig v, Set<Part> parts) {
        figures.progress("vision: warming up ...");
        encode(vision, v, 4, 4);
        int[] small = grid(options.imageGrid, "--image-grid"), large = grid(options.largeImageGrid, "--large-image-grid");
        if (parts.contains(Part.vision)) {
            String smallName = "image " + small[0] * 14 + "x" + small[1] * 14 + " (" + small[0] * small[1] + " patches)";
            figures.progress("vision: " + smallName + " ...");
            long c0 = Timing.cpuNanos();
            double sSmall = encode(vision, v, small[0], small[1]);
            figures.result.put("vision_448_s", Timing.round(sSmall));
            figures.measure("vision " + smallName, "vision_448", sSmall, c0, 1, "s", Bound.FLOPS, ModelCost.visionFlops(v, 1, small[0], small[1]));
        }
        if (!parts.contains(Part.vision1280)) return;
        String largeName = "image " + large[0] * large[1] / 4 + " tokens (" + large[0] * large[1] + " patches)";
        figures.progress("vision: " + largeName + " ...");
        long c0 = Timing.cpuNanos();
        double sLarge = encode(vision, v, large[0], large[1]);
        figures.result.put("vision_1280tok_s", Timing.round(sLarge));
        figures.measure("vision " + largeName, "vision_1280tok", sLarge, c0, 1, "s", Bound.FLOPS, ModelCost.visionFlops(v, 1, large[0], large[1]));
    }

    /** {@code HxW} in patches, both even (the 2×2 merge). */
    static int[] grid(String text, String option) {
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
        float[] pixels = Timing.random(patches * v.patchValues(), patches);
        long t0 = System.nanoTime();
        vision.forward(pixels, patches, List.of(new Grid(1, h, w)));
        return Timing.seconds(t0);
    }

    /**
     * The text decoder: prefill of {@code --prompt-tokens} random tokens, then {@code --decode-tokens}
     * decode steps after it (short context), and the same after a prefill of {@code --long-context}.
     */
    private void text(TextModel text, Set<Part> parts, List<ModelCost.Shape> layers, ModelCost.Shape head, long perToken) {
        TextConfig t = text.config();
        TextSession session = text.newSession(options.kvCache.type());
        figures.progress("text: warming up ...");
        prefill(session, 16, 5);
        for (int i = 0; i < 3; i++) session.decode(7 + i);
        session.reset();
        int promptTokens = options.promptTokens, longContext = options.longContext;
        if (parts.contains(Part.prefill)) {
            figures.progress("text: prefill of " + promptTokens + " tokens ...");
            long c0 = Timing.cpuNanos();
            double s = prefill(session, promptTokens, 6);
            figures.result.put("prefill_tok_s", Timing.round(promptTokens / s));
            figures.measure("prefill " + promptTokens + " tokens", "prefill", s, c0, promptTokens, "tok/s", Bound.FLOPS,
                    ModelCost.prefillFlops(layers, head, t, promptTokens));
        } else {
            prefill(session, 16, 6);
        }
        if (parts.contains(Part.decode)) {
            decode(session, "decode", "decode_tok_s", t, perToken);
        }
        if (parts.contains(Part.batch)) {
            for (int sessions : new int[] {4, 8}) batched(text, sessions, t, perToken);
        }
        if (parts.contains(Part.decode4k)) {
            session.reset();
            figures.progress("text: prefill of " + longContext + " tokens for the long-context decode ...");
            prefill(session, longContext, 7);
            decode(session, "decode_4k", "decode_4k_tok_s", t, perToken);
        }
    }

    /**
     * Continuous batching's step ({@link BatchDecoder}): {@code n} sessions, each after a prefill of 64 tokens, decode
     * {@code --decode-tokens / 4} tokens together (at least 8) once the JIT has settled; the bound reads every weight once per step and each
     * session's cached keys and values.
     */
    private void batched(TextModel text, int n, TextConfig t, long perToken) {
        List<TextSession> sessions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TextSession s = text.newSession(options.kvCache.type());
            prefill(s, 64, 20 + i);
            sessions.add(s);
        }
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = 500 + i;
        int warmup = Timing.untilJitSettles(() -> BatchDecoder.decode(text, sessions, tokens), WARMUP_SECONDS);
        figures.result.put("batched_decode_" + n + "_warmup_steps", warmup);
        int steps = Math.max(8, options.decodeTokens / 4), start = sessions.getFirst().length();
        figures.progress("text: " + steps + " batched decode steps of " + n + " sessions ...");
        long c0 = Timing.cpuNanos(), t0 = System.nanoTime();
        for (int k = 0; k < steps; k++) {
            for (int i = 0; i < n; i++) tokens[i] = 1000 + k * n + i;
            BatchDecoder.decode(text, sessions, tokens);
        }
        double s = Timing.seconds(t0);
        double bytes = (double) perToken * steps;
        for (int k = 0; k < steps; k++) bytes += (double) n * options.kvCache.type().bytesPerToken(t) * (start + k + 1);
        figures.result.put("batched_decode_" + n + "_tok_s", Timing.round((double) n * steps / s));
        figures.measure("batched decode, " + n + " sessions", "batched_decode_" + n, s, c0, (double) n * steps, "tok/s", Bound.BYTES, bytes);
    }

    /** Prefills {@code n} random text tokens into the (empty) session; returns the seconds taken. */
    private static double prefill(TextSession session, int n, long seed) {
        Random rnd = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(151_000);
        int[][] positions = session.nextTextPositions(n);
        long t0 = System.nanoTime();
        session.prefill(ids, null, null, positions);
        return Timing.seconds(t0);
    }

    /**
     * {@code --decode-tokens} steps once the JIT has settled ({@link Timing#untilJitSettles}, steps that add to the
     * context first); the bound reads every weight and the cached keys and values once per step.
     */
    private void decode(TextSession session, String json, String field, TextConfig t, long perToken) {
        int decodeTokens = options.decodeTokens;
        figures.progress("text: decode steps at context " + session.length() + " until the JIT settles, then " + decodeTokens + " timed ...");
        int warmup = Timing.untilJitSettles(() -> session.decode(999), WARMUP_SECONDS);
        figures.result.put(json + "_warmup_steps", warmup);
        int start = session.length();
        String label = "decode " + decodeTokens + " tok, context " + start;
        long c0 = Timing.cpuNanos(), t0 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) session.decode(1000 + i);
        double s = Timing.seconds(t0);
        double bytes = (double) perToken * decodeTokens;
        for (int i = 0; i < decodeTokens; i++) bytes += (double) options.kvCache.type().bytesPerToken(t) * (start + i + 1);
        figures.result.put(field, Timing.round(decodeTokens / s));
        figures.measure(label, json, s, c0, decodeTokens, "tok/s", Bound.BYTES, bytes);
    }
}
