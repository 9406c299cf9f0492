package qwen2vl4j.text;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/**
 * The Qwen2 text decoder of Qwen2-VL (HF Qwen2VLTextModel + lm_head): token embedding, decoder layers,
 * final RMSNorm and the LM head. Weights stay memory-mapped (bf16 rows are widened on the fly). Immutable
 * and thread-safe; per-request state lives in a {@link TextSession}.
 */
public final class TextModel {
    private final ModelConfig modelConfig;
    private final TextConfig config;
    private final Matrix embedTokens;
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final Matrix lmHead;
    private final MRope rope;

    private TextModel(ModelConfig modelConfig, Matrix embedTokens, List<DecoderLayer> layers, RmsNorm norm, Matrix lmHead) {
        this.modelConfig = modelConfig;
        this.config = modelConfig.text();
        this.embedTokens = embedTokens;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
        this.rope = new MRope(config);
    }

    /**
     * Maps the text weights of {@code weights}. The LM head is {@code lm_head.weight} or the embedding matrix, as
     * {@link CheckpointLayout#lmHeadName} decides.
     */
    public static TextModel load(Weights weights, ModelConfig modelConfig) {
        TextConfig c = modelConfig.text();
        Matrix embed = Matrix.of(weights.tensor("model.embed_tokens.weight", c.vocabSize(), c.hiddenSize()));
        List<DecoderLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) layers.add(DecoderLayer.load(weights, l, c));
        RmsNorm norm = RmsNorm.load(weights, "model.norm.weight", c.hiddenSize(), c.rmsNormEps());
        Matrix lmHead = CheckpointLayout.lmHeadName(c, weights).equals("lm_head.weight")   // Hugging Face's tie_weights
                ? Matrix.of(weights.tensor("lm_head.weight", c.vocabSize(), c.hiddenSize()))
                : embed;
        return new TextModel(modelConfig, embed, Collections.unmodifiableList(layers), norm, lmHead);
    }

    /** A fresh session with an empty float32 KV cache. */
    public TextSession newSession() {
        return newSession(KvCacheType.F32);
    }

    /** A fresh session with an empty KV cache stored as {@code kvCacheType}. */
    public TextSession newSession(KvCacheType kvCacheType) {
        return new TextSession(this, java.util.Objects.requireNonNull(kvCacheType, "kvCacheType"));
    }

    public TextConfig config() {
        return config;
    }

    public ModelConfig modelConfig() {
        return modelConfig;
    }

    int layerCount() {
        return layers.size();
    }

    /**
     * The decoder layers of {@code Qwen2VLTextModel.forward}, the one forward path of prefill, decode and batched
     * decode: {@code b.x [rows, hidden]} holds the input embeddings, {@code b.cos}/{@code b.sin}
     * {@code [rows, headDim/2]} the rotary of each row's M-RoPE position, and row {@code i} is cached at slot
     * {@code b.slots[i]} of {@code b.caches[i]}. Leaves the last layer's output in {@code b.x} (before the final
     * norm). {@code observer} (may be null) is shown the embeddings and every layer's output but the last as
     * hidden states of the tokens {@code from ..}.
     */
    void layers(Buffers b, LayerObserver observer, int from) {
        if (observer != null) observer.hiddenStates(0, from, b.rows, b.x);
        for (int l = 0; l < layers.size(); l++) {
            layers.get(l).forward(b);                                     // x [rows, hidden], in place
            if (observer != null && l < layers.size() - 1) observer.hiddenStates(l + 1, from, b.rows, b.x);
        }
    }

    MRope rope() {
        return rope;
    }

    /** Copies the embedding of {@code tokenId} into {@code dst[off .. off+hidden)}. */
    void embed(int tokenId, float[] dst, int off) {
        embedTokens.row(tokenId, dst, off);
    }

    /** {@code out[n, hidden] = finalNorm(x[n, hidden])}. */
    void finalNorm(float[] x, int n, float[] out) {
        norm.apply(x, n, out);
    }

    /** {@code logits[n, vocab] = x[n, hidden] · lm_headᵀ}. */
    void logits(float[] x, int n, float[] logits) {
        MatMul.matmul(x, n, lmHead, null, logits);
    }
}
