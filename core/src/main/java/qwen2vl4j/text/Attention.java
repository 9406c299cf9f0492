package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.CausalAttention;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.TextOps;

/**
 * Qwen2VLAttention: q/k/v projections with bias, M-RoPE on q and k, grouped key/value heads
 * (query head {@code i} reads kv head {@code i / (heads / kvHeads)}), causal softmax attention over the
 * session's cache, o_proj without bias.
 */
final class Attention {
    private final int layer;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final CausalAttention attention;
    private final Matrix qProj, kProj, vProj, oProj;
    private final float[] qBias, kBias, vBias;

    private Attention(int layer, TextConfig c, Matrix qProj, float[] qBias, Matrix kProj, float[] kBias, Matrix vProj, float[] vBias, Matrix oProj) {
        this.layer = layer;
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
        return new Attention(layer, c,
                Matrix.of(w.tensor(p + "q_proj.weight", qDim, hidden)),
                w.tensor(p + "q_proj.bias", qDim).toFloatArray(),
                Matrix.of(w.tensor(p + "k_proj.weight", kvDim, hidden)),
                w.tensor(p + "k_proj.bias", kvDim).toFloatArray(),
                Matrix.of(w.tensor(p + "v_proj.weight", kvDim, hidden)),
                w.tensor(p + "v_proj.bias", kvDim).toFloatArray(),
                Matrix.of(w.tensor(p + "o_proj.weight", hidden, qDim)));
    }

    /**
     * Attends the {@code b.rows} new tokens (normed input {@code b.h}, cos/sin of their positions in
     * {@code b.cos}/{@code b.sin}): stores each row's key and value at its slot of its cache ({@code b.slots},
     * {@code b.caches}), attends each row to its cache up to its slot, and writes the projected output to
     * {@code b.o}. The same code runs a prefill (one cache, consecutive slots), a decode step (one row) and a
     * batched decode step (one row per session).
     */
    void forward(Buffers b) {
        int n = b.rows, qDim = heads * headDim, kvDim = kvHeads * headDim, half = headDim / 2;
        if (b.rowStable) {                                                                  // q [n, heads·headDim], k/v [n, kvDim]
            MatMul.rowStableMatmul(b.h, n, qProj, qBias, b.q);
            MatMul.rowStableMatmul(b.h, n, kProj, kBias, b.k);
            MatMul.rowStableMatmul(b.h, n, vProj, vBias, b.v);
        } else {
            MatMul.matmul(b.h, n, qProj, qBias, b.q, kProj, kBias, b.k, vProj, vBias, b.v);
        }
        for (int i = 0; i < n; i++) {                                                    // apply_multimodal_rotary_pos_emb
            for (int hd = 0; hd < heads; hd++) TextOps.applyRotary(b.q, i * qDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            for (int hd = 0; hd < kvHeads; hd++) TextOps.applyRotary(b.k, i * kvDim + hd * headDim, headDim, b.cos, b.sin, i * half);
            b.keys[i] = b.caches[i].keys(layer);
            b.values[i] = b.caches[i].values(layer);
        }
        for (int i = 0, run; i < n; i += run) {                // past_key_values.update: runs of consecutive slots at once
            run = 1;
            while (i + run < n && b.caches[i + run] == b.caches[i] && b.slots[i + run] == b.slots[i] + run) run++;
            b.keys[i].write(b.slots[i], b.k, i * kvDim, run);
            b.values[i].write(b.slots[i], b.v, i * kvDim, run);
        }
        attention.attend(b.q, b.attn, n, b.slots, b.keys, b.values, b.attention, b.rowStable);   // [n, heads·headDim]
        if (b.rowStable) MatMul.rowStableMatmul(b.attn, n, oProj, null, b.o);                      // [n, hidden]
        else MatMul.matmul(b.attn, n, oProj, null, b.o);
    }
}
