package qwen2vl4j.kernels;

/**
 * The plain twin of {@link WindowAttention}: every query row of every head against every key row of its window,
 * {@code softmax(q·kᵀ / √headDim)·v} in double, one row at a time.
 */
final class WindowAttentionReference {
    private WindowAttentionReference() {}

    static void attend(float[] qkv, int[] windowStarts, int heads, int headDim, float[] context) {
        int dim = heads * headDim;
        for (int w = 0; w + 1 < windowStarts.length; w++) {
            int start = windowStarts[w], len = windowStarts[w + 1] - start;
            double[] p = new double[len];
            for (int h = 0; h < heads; h++) {
                for (int i = start; i < start + len; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < len; j++) {
                        double s = 0;
                        for (int d = 0; d < headDim; d++) s += (double) qkv[i * 3 * dim + h * headDim + d] * qkv[(start + j) * 3 * dim + dim + h * headDim + d];
                        p[j] = s / Math.sqrt(headDim);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < headDim; d++) {
                        double s = 0;
                        for (int j = 0; j < len; j++) s += p[j] / sum * qkv[(start + j) * 3 * dim + 2 * dim + h * headDim + d];
                        context[i * dim + h * headDim + d] = (float) s;
                    }
                }
            }
        }
    }
}
