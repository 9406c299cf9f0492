package qwen2vl4j.kernels;

/**
 * Plain-Java twins of the text decoder's kernels, as HF computes them: softmax, SiLU and SwiGLU's activation (the
 * twins of {@link VectorKernels#siluMul}), and one head's attention over a key/value cache (the twin of
 * {@link CausalAttention}). Sums in double where a row is reduced.
 */
final class TextOpsReference {
    private TextOpsReference() {}

    /** In-place softmax of {@code x[off..off+n)} with max subtraction. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** {@code x · sigmoid(x)}. */
    static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    /** SwiGLU, in place: {@code gate[i] = silu(gate[i]) · up[i]} for {@code i < n}. */
    static void siluMul(float[] gate, float[] up, int n) {
        siluMul(gate, up, 0, n);
    }

    /** SwiGLU, in place, on {@code [from, to)}: {@code gate[i] = silu(gate[i]) · up[i]}. */
    static void siluMul(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) gate[i] = silu(gate[i]) * up[i];
    }

    /**
     * One query head attending to {@code nKeys} cached positions of one key/value head:
     * {@code out = softmax(q·Kᵀ · scale) · V}. Key {@code t} lies at {@code keys[t·stride + kvOff ..]}
     * (likewise values); {@code scores} needs room for {@code nKeys} values. The plain twin of
     * {@link CausalAttention}, which the decoder uses.
     */
    static void attend(float[] q, int qOff, float[] keys, float[] values, int kvOff, int stride, int nKeys,
                              int headDim, float scale, float[] scores, float[] out, int outOff) {
        for (int t = 0; t < nKeys; t++) {
            scores[t] = MatMulReference.dot(q, qOff, keys, t * stride + kvOff, headDim) * scale;
        }
        softmax(scores, 0, nKeys);
        for (int d = 0; d < headDim; d++) out[outOff + d] = 0f;
        for (int t = 0; t < nKeys; t++) {
            float p = scores[t];
            int vOff = t * stride + kvOff;
            for (int d = 0; d < headDim; d++) out[outOff + d] += p * values[vOff + d];
        }
    }
}
