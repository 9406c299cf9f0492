package qwen2vl4j.cli.bench;

/**
 * The attention the decoder ran before {@link qwen2vl4j.kernels.CausalAttention}, kept as the benchmark's baseline:
 * one query head against {@code nKeys} float32 cached positions, {@code out = softmax(q·Kᵀ · scale) · V}, a vector
 * dot product per key and the rest one value at a time.
 */
final class AttentionBaseline {
    private AttentionBaseline() {}

    /**
     * Key {@code t} lies at {@code keys[t·stride + kvOff ..]} (likewise values); {@code scores} needs room for
     * {@code nKeys} values.
     */
    static void attend(float[] q, int qOff, float[] keys, float[] values, int kvOff, int stride, int nKeys,
                       int headDim, float scale, float[] scores, float[] out, int outOff) {
        for (int t = 0; t < nKeys; t++) {
            scores[t] = GemvBaseline.dot(q, qOff, keys, t * stride + kvOff, headDim) * scale;
        }
        softmax(scores, nKeys);
        for (int d = 0; d < headDim; d++) out[outOff + d] = 0f;
        for (int t = 0; t < nKeys; t++) {
            float p = scores[t];
            int vOff = t * stride + kvOff;
            for (int d = 0; d < headDim; d++) out[outOff + d] += p * values[vOff + d];
        }
    }

    /** In-place softmax of {@code x[0..n)} with max subtraction, the sum in double. */
    private static void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[i] *= inv;
    }
}
