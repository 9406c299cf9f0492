package qwen2vl4j.cli;

import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Matrix;

/** The arithmetic and the memory traffic of the model's work, the bounds the benchmark divides by. */
final class ModelCost {
    private ModelCost() {}

    /**
     * Floating-point operations (2 per multiply-add) of the vision tower over one image of
     * {@code t × h × w} patches: patch embedding, every block's projections, MLP and attention
     * (one window per frame), and the merger.
     */
    static double visionFlops(VisionConfig v, int t, int h, int w) {
        double patches = (double) t * h * w, frame = (double) h * w;
        double e = v.embedDim(), mlp = v.mlpHiddenDim(), merged = v.mergedDim();
        double embed = patches * v.patchValues() * e;
        double perBlock = patches * (4 * e * e + 2 * e * mlp) + t * 2 * frame * frame * e;
        double merger = patches / (v.spatialMergeSize() * v.spatialMergeSize()) * (merged * merged + merged * v.hiddenSize());
        return 2 * (embed + v.depth() * perBlock + merger);
    }

    /** The text decoder's linear layers, in the order one token runs through them. */
    static List<Matrix> textMatrices(Weights weights, TextConfig t) {
        List<Matrix> all = new ArrayList<>();
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            for (String m : new String[] {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
                all.add(Matrix.of(weights.tensor(p + m + ".weight")));
            }
        }
        return all;
    }

    /** The language-model head: {@code lm_head.weight}, or the embedding when tied. */
    static Matrix lmHead(Weights weights, TextConfig t) {
        return Matrix.of(weights.tensor(t.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight"));
    }

    /** Bytes of weights one decoded token reads: every layer's matrices and the head. */
    static long weightBytesPerToken(List<Matrix> layers, Matrix head) {
        long bytes = bytes(head);
        for (Matrix m : layers) bytes += bytes(m);
        return bytes;
    }

    /** Bytes of the key/value cache one decode step reads at {@code context} cached tokens (f32 cache). */
    static long kvBytesPerToken(TextConfig t, int context) {
        return 2L * t.numHiddenLayers() * context * t.kvDim() * Float.BYTES;
    }

    /**
     * FLOPs of prefilling {@code tokens} tokens: every layer's projections for every token, causal
     * attention (token i attends to i + 1 positions), and the head for the last token.
     */
    static double prefillFlops(List<Matrix> layers, Matrix head, TextConfig t, int tokens) {
        double linear = 0;
        for (Matrix m : layers) linear += (double) m.rows() * m.cols();
        double attention = (double) t.numHiddenLayers() * t.numAttentionHeads() * t.headDim() * 2.0 * tokens * (tokens + 1) / 2.0;
        return 2 * (linear * tokens + attention + (double) head.rows() * head.cols());
    }

    static long bytes(Matrix m) {
        return m.byteSize();
    }
}
