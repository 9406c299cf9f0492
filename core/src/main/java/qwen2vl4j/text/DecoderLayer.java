package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.KvRows;
import qwen2vl4j.kernels.TextOps;

/** Qwen2VLDecoderLayer: pre-norm residual attention, then pre-norm residual SwiGLU MLP (spec §6.2). */
final class DecoderLayer {
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final Mlp mlp;

    private DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    static DecoderLayer load(Weights w, int layer, TextConfig c) {
        String p = "model.layers." + layer + ".";
        return new DecoderLayer(
                RmsNorm.load(w, p + "input_layernorm.weight", c.hiddenSize(), c.rmsNormEps()),
                Attention.load(w, layer, c),
                RmsNorm.load(w, p + "post_attention_layernorm.weight", c.hiddenSize(), c.rmsNormEps()),
                Mlp.load(w, layer, c));
    }

    /** Updates the residual stream {@code b.x [rows, hidden]} in place; new tokens sit at cache positions {@code start ..}. */
    void forward(Buffers b, int start, KvRows keyCache, KvRows valueCache) {
        int size = b.rows * b.hidden;
        inputNorm.apply(b.x, b.rows, b.h);                    // h = norm(x)
        attention.forward(b, start, keyCache, valueCache);    // o = attn(h)
        TextOps.addInPlace(b.x, b.o, size);                   // x += o
        postAttentionNorm.apply(b.x, b.rows, b.h);            // h = norm(x)
        mlp.forward(b);                                       // o = mlp(h)
        TextOps.addInPlace(b.x, b.o, size);                   // x += o
    }

    /** As {@link #forward} for one new token per row, row {@code i} belonging to the cache of session {@code i}. */
    void forwardBatch(Buffers b, int[] starts, KvRows[] keyCaches, KvRows[] valueCaches) {
        int size = b.rows * b.hidden;
        inputNorm.apply(b.x, b.rows, b.h);
        attention.forwardBatch(b, starts, keyCaches, valueCaches);
        TextOps.addInPlace(b.x, b.o, size);
        postAttentionNorm.apply(b.x, b.rows, b.h);
        mlp.forwardBatch(b);
        TextOps.addInPlace(b.x, b.o, size);
    }
}
