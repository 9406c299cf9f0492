package qwen2vl4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import qwen2vl4j.cli.bench.Measure.Bound;
import qwen2vl4j.cli.bench.Timing.Best;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.kernels.CausalAttention;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.KvRows;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.text.KvCacheType;

/**
 * The kernels alone on the model's real shapes, each against the version it replaced, run in turns so both see the
 * same load: the tiled GEMM against {@link GemmBaseline}, the GEMV against {@link GemvBaseline}, and the causal
 * attention of a decode step and of a prefill against {@link AttentionBaseline}.
 */
final class KernelBench {
    /** Layers of cache the attention measurement walks through per step. */
    private static final int ATTENTION_LAYERS = 8;

    private final Figures figures;
    private final KvCacheType kvCache;
    private final int longContext;

    KernelBench(Figures figures, KvCacheType kvCache, int longContext) {
        this.figures = figures;
        this.kvCache = kvCache;
        this.longContext = longContext;
    }

    /**
     * The GEMMs of the vision MLP ({@code visionFc1}, 1024 rows) and of a prefill ({@code ups[0]}, 512 rows), and the
     * GEMV over the up-projections of every layer in turn (over 700 MB), so the weights stream from memory, not cache.
     */
    void matrices(Matrix visionFc1, List<Matrix> ups) {
        figures.progress("kernels: tiled GEMM against the previous tiled kernel, GEMV against the row-wise baseline ...");
        gemm("gemm", visionFc1, 1024);
        gemm("gemm_prefill", ups.getFirst(), 512);

        Matrix up = ups.getFirst();
        float[] v = Timing.random(up.cols(), 2), o = new float[up.rows()];
        double bytes = 0;
        for (Matrix m : ups) bytes += ModelCost.bytes(m);
        Runnable tiledPass = () -> ups.forEach(m -> MatMul.matmul(v, 1, m, null, o));
        Runnable rowwisePass = () -> ups.forEach(m -> GemvBaseline.run(v, 1, m, null, o));
        tiledPass.run();
        rowwisePass.run();
        Best gemvRun = Timing.best(3, tiledPass);
        double gemv = gemvRun.seconds();
        Best gemvRowwiseRun = Timing.best(3, rowwisePass);
        double gemvRowwise = gemvRowwiseRun.seconds();
        figures.kernels.put("gemv_gb_s", Timing.round(bytes / gemv / 1e9));
        figures.kernels.put("gemv_rowwise_gb_s", Timing.round(bytes / gemvRowwise / 1e9));
        figures.kernels.put("gemv_speedup", Timing.round(gemvRowwise / gemv));
        String g = ups.size() + "x [" + up.rows() + "x" + up.cols() + "] bf16";
        figures.measure("GEMV " + g, "gemv", gemv, gemvRun.cpuShare(), bytes / 1e9, "GB/s", Bound.BYTES, bytes);
        figures.measure("GEMV same, row-wise baseline", "gemv_rowwise", gemvRowwise, gemvRowwiseRun.cpuShare(), bytes / 1e9, "GB/s", Bound.BYTES, bytes);
    }

    /** {@code n} random input rows times {@code w}ᵀ: the tiled GEMM and its previous version, run in turns. */
    private void gemm(String json, Matrix w, int n) {
        float[] x = Timing.random(n * w.cols(), 1), y = new float[n * w.rows()];
        double flops = 2.0 * n * w.rows() * w.cols();
        Best[] runs = Timing.interleaved(4, () -> MatMul.matmul(x, n, w, null, y), () -> GemmBaseline.run(x, n, w, null, y));
        double tiled = runs[0].seconds(), previous = runs[1].seconds();
        figures.kernels.put(json + "_gflop_s", Timing.round(flops / tiled / 1e9));
        figures.kernels.put(json + "_previous_gflop_s", Timing.round(flops / previous / 1e9));
        figures.kernels.put(json + "_speedup", Timing.round(previous / tiled));
        String shape = "[" + n + "x" + w.cols() + "]·[" + w.rows() + "x" + w.cols() + "]ᵀ";
        figures.measure("GEMM " + shape + " tiled", json, tiled, runs[0].cpuShare(), flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
        figures.measure("GEMM same, previous tiled kernel", json + "_previous", previous, runs[1].cpuShare(), flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
    }

    /**
     * One decode step's attention at {@code --long-context} over {@link #ATTENTION_LAYERS} layers' caches (more than
     * the last-level cache holds): {@link CausalAttention} against {@link AttentionBaseline} run per head across the
     * common pool, as the decoder did before, interleaved in the same run; then a prefill's attention.
     */
    void attention(TextConfig t) {
        int heads = t.numAttentionHeads(), kvHeads = t.numKeyValueHeads(), d = t.headDim(), kvDim = t.kvDim(), ctx = longContext;
        figures.progress("attention: one decode row over " + ctx + " cached tokens x " + ATTENTION_LAYERS + " layers, " + kvCache + " cache ...");
        KvRows.Precision precision = KvRows.Precision.valueOf(kvCache.name());
        KvRows[] keys = new KvRows[ATTENTION_LAYERS], values = new KvRows[ATTENTION_LAYERS];
        float[][] keysF32 = new float[ATTENTION_LAYERS][], valuesF32 = new float[ATTENTION_LAYERS][];
        for (int l = 0; l < ATTENTION_LAYERS; l++) {
            keysF32[l] = Timing.random(ctx * kvDim, 10 + l);
            valuesF32[l] = Timing.random(ctx * kvDim, 100 + l);
            keys[l] = new KvRows(precision, kvDim);
            values[l] = new KvRows(precision, kvDim);
            keys[l].ensureCapacity(ctx);
            values[l].ensureCapacity(ctx);
            keys[l].write(0, keysF32[l], 0, ctx);
            values[l].write(0, valuesF32[l], 0, ctx);
        }
        float[] q = Timing.random(heads * d, 3), out = new float[heads * d];
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
                IntStream.range(0, heads).parallel().forEach(h ->
                        AttentionBaseline.attend(q, h * d, k, v, (h / (heads / kvHeads)) * d, kvDim, ctx, d, scale, scores[h], out, h * d));
            }
        };
        double bestFused = Double.MAX_VALUE, bestScalar = Double.MAX_VALUE;
        long cFused = 0, cScalar = 0;
        double wFused = 0, wScalar = 0;
        // until the JIT has settled (one run before left the fused kernel at 3-5 GB/s where it later streamed 8-9 on a Zen 3)
        figures.kernels.put("attention_warmup_runs", Timing.untilJitSettles(fused, ModelBench.WARMUP_SECONDS));
        scalar.run();
        for (int round = 0; round < 5; round++) {                       // interleaved: both see the same machine load
            long c0 = Timing.cpuNanos(), t0 = System.nanoTime();
            fused.run();
            double s = Timing.seconds(t0);
            cFused += Timing.cpuNanos() - c0;
            wFused += s;
            bestFused = Math.min(bestFused, s);
            c0 = Timing.cpuNanos();
            t0 = System.nanoTime();
            scalar.run();
            s = Timing.seconds(t0);
            cScalar += Timing.cpuNanos() - c0;
            wScalar += s;
            bestScalar = Math.min(bestScalar, s);
        }
        double bytes = (double) ATTENTION_LAYERS * ctx * 2 * kvDim * precision.bytes();
        double bytesScalar = (double) ATTENTION_LAYERS * ctx * 2 * kvDim * Float.BYTES;
        figures.kernels.put("attention_ms_per_layer", Timing.round(bestFused * 1e3 / ATTENTION_LAYERS));
        figures.kernels.put("attention_scalar_ms_per_layer", Timing.round(bestScalar * 1e3 / ATTENTION_LAYERS));
        figures.kernels.put("attention_speedup", Timing.round(bestScalar / bestFused));
        figures.measure("attention " + ctx + " keys x" + ATTENTION_LAYERS + " layers, " + kvCache, "attention", bestFused,
                cFused / 1e9 / wFused / ComputePool.threads(), bytes / 1e9, "GB/s", Bound.BYTES, bytes);
        figures.measure("attention same, scalar f32 baseline", "attention_scalar", bestScalar, cScalar / 1e9 / wScalar / ComputePool.threads(),
                bytesScalar / 1e9, "GB/s", Bound.BYTES, bytesScalar);
        prefillAttention(t, precision);
    }

    /**
     * A prefill's attention: {@code min(--long-context, 1024)} new rows over an empty cache, one layer, against the
     * baseline per row and head, interleaved; the bound is the FMA peak for the causal QK and PV products.
     */
    private void prefillAttention(TextConfig t, KvRows.Precision precision) {
        int heads = t.numAttentionHeads(), kvHeads = t.numKeyValueHeads(), d = t.headDim(), kvDim = t.kvDim();
        int rows = Math.min(longContext, 1024), qDim = heads * d;
        figures.progress("attention: prefill of " + rows + " rows ...");
        float[] k = Timing.random(rows * kvDim, 21), v = Timing.random(rows * kvDim, 22), q = Timing.random(rows * qDim, 23);
        float[] out = new float[rows * qDim];
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
        Runnable scalar = () -> IntStream.range(0, heads).parallel().forEach(h -> {
            for (int i = 0; i < rows; i++) {
                AttentionBaseline.attend(q, i * qDim + h * d, k, v, (h / (heads / kvHeads)) * d, kvDim, i + 1, d, scale, scores[h], out, i * qDim + h * d);
            }
        });
        double bestFused = Double.MAX_VALUE, bestScalar = Double.MAX_VALUE;
        figures.kernels.put("prefill_attention_warmup_runs", Timing.untilJitSettles(fused, ModelBench.WARMUP_SECONDS));
        long c0 = Timing.cpuNanos(), t0 = System.nanoTime();
        for (int round = 0; round < 3; round++) {
            long s0 = System.nanoTime();
            fused.run();
            bestFused = Math.min(bestFused, Timing.seconds(s0));
            s0 = System.nanoTime();
            scalar.run();
            bestScalar = Math.min(bestScalar, Timing.seconds(s0));
        }
        double share = (Timing.cpuNanos() - c0) / 1e9 / Timing.seconds(t0) / ComputePool.threads();
        double flops = 4.0 * heads * d * ((double) rows * (rows + 1) / 2);
        figures.kernels.put("prefill_attention_speedup", Timing.round(bestScalar / bestFused));
        figures.measure("attention prefill " + rows + " rows, " + kvCache, "prefill_attention", bestFused, share, flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
        figures.measure("attention same, scalar f32 baseline", "prefill_attention_scalar", bestScalar, share, flops / 1e9, "GFLOP/s", Bound.FLOPS, flops);
    }
}
