package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;

/** The MLP of one vision block (Hugging Face's {@code VisionMlp}): {@code fc2(quick_gelu(fc1(x)))}, both with bias. */
public final class VisionMlp {
    private final Matrix fc1;        // [mlpHidden, dim]
    private final float[] fc1Bias;   // [mlpHidden]
    private final Matrix fc2;        // [dim, mlpHidden]
    private final float[] fc2Bias;   // [dim]

    private VisionMlp(Matrix fc1, float[] fc1Bias, Matrix fc2, float[] fc2Bias) {
        this.fc1 = fc1;
        this.fc1Bias = fc1Bias;
        this.fc2 = fc2;
        this.fc2Bias = fc2Bias;
    }

    /** Loads {@code visual.blocks.{block}.mlp.*}; the activation must be {@code quick_gelu}. */
    public static VisionMlp load(Weights weights, VisionConfig c, int block) {
        if (!"quick_gelu".equals(c.hiddenAct())) {
            throw new ModelLoadException("vision_config.hidden_act of " + weights.folder() + " is '" + c.hiddenAct()
                    + "', expected 'quick_gelu' (the only activation of the Qwen2-VL vision tower)");
        }
        int dim = c.embedDim(), hidden = c.mlpHiddenDim();
        return new VisionMlp(
                Matrix.of(weights.tensor("visual.blocks." + block + ".mlp.fc1.weight", hidden, dim)),
                weights.tensor("visual.blocks." + block + ".mlp.fc1.bias", hidden).toFloatArray(),
                Matrix.of(weights.tensor("visual.blocks." + block + ".mlp.fc2.weight", dim, hidden)),
                weights.tensor("visual.blocks." + block + ".mlp.fc2.bias", dim).toFloatArray());
    }

    /** {@code x [n, dim]} → {@code [n, dim]}. */
    public float[] forward(float[] x, int n) {
        float[] out = new float[n * fc2.rows()];
        forward(x, n, new float[n * fc1.rows()], out);
        return out;
    }

    /** {@code x [n, dim]} → {@code out [n, dim]}, through {@code hidden [n, mlpHidden]}. */
    void forward(float[] x, int n, float[] hidden, float[] out) {
        MatMul.rowStableMatmul(x, n, fc1, fc1Bias, hidden);               // [n, mlpHidden]
        VisionOps.quickGelu(hidden, 0, n * fc1.rows());
        MatMul.rowStableMatmul(hidden, n, fc2, fc2Bias, out);             // [n, dim]
    }
}
