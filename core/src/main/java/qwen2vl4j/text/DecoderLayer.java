package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.TextOps;

/** Qwen2VLDecoderLayer: pre-norm residual attention, then pre-norm residual SwiGLU MLP . */
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

    /**
     * Updates the residual stream {@code b.x [rows, hidden]} in place; row {@code i} is cached at slot
     * {@code b.slots[i]} of {@code b.caches[i]} (see {@link Attention#forward}).
     */
    void forward(Buffers b) {
        int size = b.rows * b.hidden;
        inputNorm.apply(b.x, b.rows, b.h);                    // h = input_layernorm(x)      [rows, hidden]
        attention.forward(b);                                 // o = self_attn(h)             [rows, hidden]
        TextOps.addInPlace(b.x, b.o, size);                   // x += o
        postAttentionNorm.apply(b.x, b.rows, b.h);            // h = post_attention_layernorm(x)
        mlp.forward(b);                                       // o = mlp(h)                   [rows, hidden]
        TextOps.addInPlace(b.x, b.o, size);                   // x += o
    }
}
