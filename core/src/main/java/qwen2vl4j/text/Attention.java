package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.CausalAttention;
import qwen2vl4j.kernels.KvRows;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.TextOps;

/**
 * Qwen2VLAttention (spec §6.2): q/k/v projections with bias, M-RoPE on q and k, grouped key/value heads
 * (query head {@code i} reads kv head {@code i / (heads / kvHeads)}), causal softmax attention over the
 * session's cache, o_proj without bias.
 */
final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final CausalAttention attention;
    private final Matrix qProj, kProj, vProj, oProj;
    private final float[] qBias, kBias, vBias;

    private Attention(TextConfig c, Matrix qProj, float[] qBias, Matrix kProj, float[] kBias, Matrix vProj, float[] vBias, Matrix oProj) {
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.attention = new CausalAttention(heads, kvHeads, headDim);
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
    void forward(Buffers b, int start, KvRows keyCache, KvRows valueCache) {
        int n = b.rows, qDim = heads * headDim, kvDim = kvHeads * headDim, half = headDim / 2;
        MatMul.matmul(b.h, n, qProj, qBias, b.q, kProj, kBias, b.k, vProj, vBias, b.v);   // q [n, heads·headDim], k/v [n, kvDim]
        for (int i = 0; i < n; i++) {
            for (int hd = 0; hd < heads; hd++) TextOps.applyRotary(b.q, i * qDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            for (int hd = 0; hd < kvHeads; hd++) TextOps.applyRotary(b.k, i * kvDim + hd * headDim, headDim, b.cos, b.sin, i * half);
        }
        keyCache.write(start, b.k, 0, n);                      // cache rows [start, start+n)
        valueCache.write(start, b.v, 0, n);
        attention.attend(b.q, b.attn, n, start, keyCache, valueCache, b.attention);
        MatMul.matmul(b.attn, n, oProj, null, b.o);            // [n, hidden]
    }

    /**
     * One decode token per row of {@code b}, each from a different session: row {@code i} sits at cache position
     * {@code starts[i]} of {@code keyCaches[i]} / {@code valueCaches[i]} and attends only to that cache. Projections
     * run once over all rows; each row's attention is the same arithmetic as {@link #forward} with that row alone.
     */
    void forwardBatch(Buffers b, int[] starts, KvRows[] keyCaches, KvRows[] valueCaches) {
        int n = b.rows, qDim = heads * headDim, kvDim = kvHeads * headDim, half = headDim / 2;
        MatMul.matmul(b.h, n, qProj, qBias, b.q, kProj, kBias, b.k, vProj, vBias, b.v);
        for (int i = 0; i < n; i++) {
            for (int hd = 0; hd < heads; hd++) TextOps.applyRotary(b.q, i * qDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            for (int hd = 0; hd < kvHeads; hd++) TextOps.applyRotary(b.k, i * kvDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            keyCaches[i].write(starts[i], b.k, i * kvDim, 1);
            valueCaches[i].write(starts[i], b.v, i * kvDim, 1);
        }
        attention.attendEach(b.q, b.attn, starts, keyCaches, valueCaches, b.attention);
        MatMul.matmul(b.attn, n, oProj, null, b.o);
    }
}
