package qwen2vl4j.text;

import java.util.stream.IntStream;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.TextOps;

/**
 * Qwen2VLAttention (spec §6.2): q/k/v projections with bias, M-RoPE on q and k, grouped key/value heads
 * (query head {@code i} reads kv head {@code i / (heads / kvHeads)}), causal softmax attention over the
 * session's cache, o_proj without bias.
 */
final class Attention {
    /** Below this many multiply-adds the heads run on the calling thread. */
    private static final long PARALLEL_WORK = 1L << 16;

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final Matrix qProj, kProj, vProj, oProj;
    private final float[] qBias, kBias, vBias;

    private Attention(TextConfig c, Matrix qProj, float[] qBias, Matrix kProj, float[] kBias, Matrix vProj, float[] vBias, Matrix oProj) {
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.qProj = qProj;
        this.qBias = qBias;
        this.kProj = kProj;
        this.kBias = kBias;
        this.vProj = vProj;
        this.vBias = vBias;
        this.oProj = oProj;
    }

    static Attention load(Weights w, int layer, TextConfig c) {
        String p = "model.layers." + layer + ".self_attn.";
        int hidden = c.hiddenSize(), qDim = c.numAttentionHeads() * c.headDim(), kvDim = c.kvDim();
        return new Attention(c,
                Matrix.of(w.tensor(p + "q_proj.weight", qDim, hidden)),
                w.tensor(p + "q_proj.bias", qDim).toFloatArray(),
                Matrix.of(w.tensor(p + "k_proj.weight", kvDim, hidden)),
                w.tensor(p + "k_proj.bias", kvDim).toFloatArray(),
                Matrix.of(w.tensor(p + "v_proj.weight", kvDim, hidden)),
                w.tensor(p + "v_proj.bias", kvDim).toFloatArray(),
                Matrix.of(w.tensor(p + "o_proj.weight", hidden, qDim)));
    }

    /**
     * Attends {@code b.rows} new tokens (normed input {@code b.h}, cos/sin in {@code b.cos}/{@code b.sin}) that
     * occupy cache positions {@code start ..}; stores their keys/values in the cache and writes the
     * projected output to {@code b.o}.
     */
    void forward(Buffers b, int start, float[] keyCache, float[] valueCache) {
        int n = b.rows, qDim = heads * headDim, kvDim = kvHeads * headDim, half = headDim / 2;
        MatMul.matmul(b.h, n, qProj, qBias, b.q, kProj, kBias, b.k, vProj, vBias, b.v);   // q [n, heads·headDim], k/v [n, kvDim]
        for (int i = 0; i < n; i++) {
            for (int hd = 0; hd < heads; hd++) TextOps.applyRotary(b.q, i * qDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            for (int hd = 0; hd < kvHeads; hd++) TextOps.applyRotary(b.k, i * kvDim + hd * headDim, headDim, b.cos, b.sin, i * half);
        }
        System.arraycopy(b.k, 0, keyCache, start * kvDim, n * kvDim);   // cache rows [start, start+n)
        System.arraycopy(b.v, 0, valueCache, start * kvDim, n * kvDim);
        long work = (long) n * (start + n) * headDim * heads;
        if (work < PARALLEL_WORK) {
            for (int hd = 0; hd < heads; hd++) attendHead(b, hd, start, keyCache, valueCache);
        } else {
            IntStream.range(0, heads).parallel().forEach(hd -> attendHead(b, hd, start, keyCache, valueCache));
        }
        MatMul.matmul(b.attn, n, oProj, null, b.o);            // [n, hidden]
    }

    /** Query head {@code hd} of every new token, causal: token {@code i} sees cache positions {@code 0 .. start+i}. */
    private void attendHead(Buffers b, int hd, int start, float[] keyCache, float[] valueCache) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim;
        int kvOff = (hd / (heads / kvHeads)) * headDim;
        float[] scores = b.scores[hd];
        for (int i = 0; i < b.rows; i++) {
            int off = i * qDim + hd * headDim;
            TextOps.attend(b.q, off, keyCache, valueCache, kvOff, kvDim, start + i + 1, headDim, scale, scores, b.attn, off);
        }
    }

    /**
     * One decode token per row of {@code b}, each from a different session: row {@code i} sits at cache position
     * {@code starts[i]} of {@code keyCaches[i]} / {@code valueCaches[i]} and attends only to that cache. Projections
     * run once over all rows; the arithmetic of each row is the same as {@link #forward} with one row.
     *
     * @param scores one scratch row per (row, head) pair, each at least {@code starts[i] + 1} long
     */
    void forwardBatch(Buffers b, int[] starts, float[][] keyCaches, float[][] valueCaches, float[][] scores) {
        int n = b.rows, qDim = heads * headDim, kvDim = kvHeads * headDim, half = headDim / 2;
        MatMul.matmul(b.h, n, qProj, qBias, b.q, kProj, kBias, b.k, vProj, vBias, b.v);
        long work = 0;
        for (int i = 0; i < n; i++) {
            for (int hd = 0; hd < heads; hd++) TextOps.applyRotary(b.q, i * qDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            for (int hd = 0; hd < kvHeads; hd++) TextOps.applyRotary(b.k, i * kvDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            System.arraycopy(b.k, i * kvDim, keyCaches[i], starts[i] * kvDim, kvDim);
            System.arraycopy(b.v, i * kvDim, valueCaches[i], starts[i] * kvDim, kvDim);
            work += (long) (starts[i] + 1) * headDim * heads;
        }
        IntStream tasks = IntStream.range(0, n * heads);
        if (work >= PARALLEL_WORK) tasks = tasks.parallel();
        tasks.forEach(t -> {
            int i = t / heads, hd = t % heads;
            int off = i * qDim + hd * headDim, kvOff = (hd / (heads / kvHeads)) * headDim;
            TextOps.attend(b.q, off, keyCaches[i], valueCaches[i], kvOff, kvDim, starts[i] + 1, headDim, scale, scores[t], b.attn, off);
        });
        MatMul.matmul(b.attn, n, oProj, null, b.o);
    }
}
