package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.VisionOps;

/**
 * One pre-norm transformer block of the vision tower (Hugging Face's {@code Qwen2VLVisionBlock}):
 * {@code x += attn(norm1(x)); x += mlp(norm2(x))}, LayerNorm with eps 1e-6.
 */
public final class VisionBlock {
    /** LayerNorm epsilon of every vision norm. */
    public static final float NORM_EPS = 1e-6f;

    private final float[] norm1Weight, norm1Bias;   // [dim]
    private final VisionAttention attn;
    private final float[] norm2Weight, norm2Bias;   // [dim]
    private final VisionMlp mlp;
    private final int dim;

    private VisionBlock(float[] norm1Weight, float[] norm1Bias, VisionAttention attn,
                        float[] norm2Weight, float[] norm2Bias, VisionMlp mlp) {
        this.norm1Weight = norm1Weight;
        this.norm1Bias = norm1Bias;
        this.attn = attn;
        this.norm2Weight = norm2Weight;
        this.norm2Bias = norm2Bias;
        this.mlp = mlp;
        this.dim = norm1Weight.length;
    }

    /** Loads {@code visual.blocks.{block}.*}. */
    public static VisionBlock load(Weights weights, VisionConfig c, int block) {
        int dim = c.embedDim();
        return new VisionBlock(
                weights.tensor("visual.blocks." + block + ".norm1.weight", dim).toFloatArray(),
                weights.tensor("visual.blocks." + block + ".norm1.bias", dim).toFloatArray(),
                VisionAttention.load(weights, c, block),
                weights.tensor("visual.blocks." + block + ".norm2.weight", dim).toFloatArray(),
                weights.tensor("visual.blocks." + block + ".norm2.bias", dim).toFloatArray(),
                VisionMlp.load(weights, c, block));
    }

    /** Updates the hidden states {@code x [n, dim]} in place, {@code n = state.patches}, working in {@code state}'s buffers. */
    void forward(float[] x, VisionState state, VisionGrids grids, VisionRotaryEmbedding.Table rope) {
        int n = state.patches;
        float[] h = state.normed;                                     // [n, dim]
        VisionOps.layerNorm(x, n, dim, norm1Weight, norm1Bias, NORM_EPS, h);
        attn.forward(h, state, grids, rope);                          // state.out = attn(norm1(x))
        VisionOps.add(x, state.out, n * dim);
        VisionOps.layerNorm(x, n, dim, norm2Weight, norm2Bias, NORM_EPS, h);
        mlp.forward(h, n, state.mlpHidden, state.out);                // state.out = mlp(norm2(x))
        VisionOps.add(x, state.out, n * dim);
    }
}
