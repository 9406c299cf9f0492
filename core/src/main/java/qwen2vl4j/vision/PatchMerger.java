package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;

/**
 * The patch merger (Hugging Face's {@code PatchMerger}): LayerNorm, then each {@code m²} consecutive rows (one merge
 * block, already adjacent in merge-block order) read as one row of {@code m²·dim}, then
 * {@code mlp.2(gelu(mlp.0(·)))} with the exact erf GELU, to the text hidden size.
 */
public final class PatchMerger {
    private final float[] lnWeight, lnBias;   // [dim]
    private final Matrix mlp0;                // [mergedDim, mergedDim]
    private final float[] mlp0Bias;           // [mergedDim]
    private final Matrix mlp2;                // [hiddenSize, mergedDim]
    private final float[] mlp2Bias;           // [hiddenSize]
    private final int dim;
    private final int rowsPerToken;

    private PatchMerger(float[] lnWeight, float[] lnBias, Matrix mlp0, float[] mlp0Bias, Matrix mlp2, float[] mlp2Bias, int rowsPerToken) {
        this.lnWeight = lnWeight;
        this.lnBias = lnBias;
        this.mlp0 = mlp0;
        this.mlp0Bias = mlp0Bias;
        this.mlp2 = mlp2;
        this.mlp2Bias = mlp2Bias;
        this.dim = lnWeight.length;
        this.rowsPerToken = rowsPerToken;
    }

    /** Loads {@code visual.merger.*}. */
    public static PatchMerger load(Weights weights, VisionConfig c) {
        int dim = c.embedDim(), merged = c.mergedDim();
        return new PatchMerger(
                weights.tensor("visual.merger.ln_q.weight", dim).toFloatArray(),
                weights.tensor("visual.merger.ln_q.bias", dim).toFloatArray(),
                Matrix.of(weights.tensor("visual.merger.mlp.0.weight", merged, merged)),
                weights.tensor("visual.merger.mlp.0.bias", merged).toFloatArray(),
                Matrix.of(weights.tensor("visual.merger.mlp.2.weight", c.hiddenSize(), merged)),
                weights.tensor("visual.merger.mlp.2.bias", c.hiddenSize()).toFloatArray(),
                c.spatialMergeSize() * c.spatialMergeSize());
    }

    /** {@code x [patches, dim]} → {@code [patches/m², hiddenSize]}. */
    public float[] forward(float[] x, int patches) {
        int tokens = patches / rowsPerToken;
        float[] normed = new float[patches * dim];            // [patches, dim] = [tokens, m²·dim] row-major
        VisionOps.layerNorm(x, patches, dim, lnWeight, lnBias, VisionBlock.NORM_EPS, normed);
        float[] hidden = new float[tokens * mlp0.rows()];     // [tokens, m²·dim]
        MatMul.rowStableMatmul(normed, tokens, mlp0, mlp0Bias, hidden);
        VisionOps.gelu(hidden, 0, hidden.length);
        float[] out = new float[tokens * mlp2.rows()];        // [tokens, hiddenSize]
        MatMul.rowStableMatmul(hidden, tokens, mlp2, mlp2Bias, out);
        return out;
    }
}
