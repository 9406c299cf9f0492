package qwen2vl4j.kernels;

/**
 * The element-wise and per-row operations of the Qwen2 text decoder (HF Qwen2VLForConditionalGeneration's
 * language model): RMSNorm, the residual sum, M-RoPE angles and their rotate-half application. All float32 in,
 * float32 out, following the HF reference's order of operations; reductions over a row accumulate in double.
 * SwiGLU's activation runs in {@link VectorKernels#siluMul}, attention in {@link CausalAttention}.
 */
public final class TextOps {
    private TextOps() {}

    /**
     * {@code out[i] = w[i] · (x[i] / sqrt(mean(x²) + eps))} over {@code n} values (HF Qwen2RMSNorm:
     * variance and the reciprocal square root in float32, the weight applied last).
     */
    public static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            sum += (double) v * v;
        }
        float variance = (float) (sum / n);
        float inv = (float) (1.0 / Math.sqrt(variance + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inv);
        }
    }

    /** {@code acc[i] += x[i]} for {@code i < n} (the residual connection). */
    public static void addInPlace(float[] acc, float[] x, int n) {
        for (int i = 0; i < n; i++) acc[i] += x[i];
    }

    /**
     * Rotary inverse frequencies {@code 1 / theta^(2j / headDim)}, j < headDim / 2, computed in float32
     * as HF does: the exponent {@code 2j / headDim} and the power are float32, then the reciprocal.
     */
    public static float[] ropeInverseFrequencies(int headDim, double theta) {
        float[] inv = new float[headDim / 2];
        for (int j = 0; j < inv.length; j++) {
            float exponent = (float) (2 * j) / headDim;
            float power = (float) Math.pow((float) theta, exponent);
            inv[j] = 1f / power;
        }
        return inv;
    }

    /**
     * The M-RoPE cosines and sines of one token (HF Qwen2VLRotaryEmbedding with apply_multimodal_rotary_pos_emb's
     * mrope_section): frequency {@code j} rotates by
     * {@code position[axis(j)] · invFreq[j]} (float32 product), where the first {@code section[0]}
     * frequencies follow the temporal position, the next {@code section[1]} the height, the rest the width.
     * Writes {@code invFreq.length} values to {@code cos[off..]} and {@code sin[off..]}.
     */
    public static void mropeCosSin(int pt, int ph, int pw, float[] invFreq, int[] section, float[] cos, float[] sin, int off) {
        int hStart = section[0];
        int wStart = section[0] + section[1];
        for (int j = 0; j < invFreq.length; j++) {
            int p = j < hStart ? pt : j < wStart ? ph : pw;
            float angle = (float) p * invFreq[j];
            cos[off + j] = (float) Math.cos(angle);
            sin[off + j] = (float) Math.sin(angle);
        }
    }

    /**
     * Rotates one head in place, rotate-half layout: lanes {@code j} and {@code j + headDim/2} form a pair
     * turned by the angle of frequency {@code j}: {@code x' = x·cos + rotate_half(x)·sin}.
     */
    public static void applyRotary(float[] x, int off, int headDim, float[] cos, float[] sin, int csOff) {
        int half = headDim / 2;
        for (int j = 0; j < half; j++) {
            float c = cos[csOff + j], s = sin[csOff + j];
            float x1 = x[off + j], x2 = x[off + j + half];
            x[off + j] = x1 * c - x2 * s;
            x[off + j + half] = x2 * c + x1 * s;
        }
    }
}
