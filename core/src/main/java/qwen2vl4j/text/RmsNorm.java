package qwen2vl4j.text;

import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.TextOps;

/** Qwen2RMSNorm: {@code w · x / sqrt(mean(x²) + eps)} over each row of width {@code w.length}. */
final class RmsNorm {
    private final float[] weight;
    private final float eps;

    RmsNorm(float[] weight, float eps) {
        this.weight = weight;
        this.eps = eps;
    }

    /** Loads the weight vector {@code name} of length {@code width}. */
    static RmsNorm load(Weights weights, String name, int width, double eps) {
        return new RmsNorm(weights.tensor(name, width).toFloatArray(), (float) eps);
    }

    /** {@code out[n, width] = norm(x[n, width])} row by row. */
    void apply(float[] x, int n, float[] out) {
        int width = weight.length;
        for (int i = 0; i < n; i++) TextOps.rmsNorm(x, i * width, weight, eps, out, i * width, width);
    }
}
