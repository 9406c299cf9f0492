package qwen2vl4j.kernels;

/**
 * Plain-Java twins of the vision kernels in {@link VisionVectorKernels}, one row or range at a time on the
 * calling thread: the definitions the tests compare the vector versions against. Results are float32;
 * intermediate values and sums are kept in double, so each op is at least as accurate as the float32 reference.
 */
final class VisionOpsReference {
    private VisionOpsReference() {}

    /** LayerNorm of the rows {@code [from, to)} of width {@code dim} (see {@link VisionOps#layerNorm}). */
    static void layerNorm(float[] x, int from, int to, int dim, float[] weight, float[] bias, float eps, float[] out) {
        for (int r = from; r < to; r++) {
            int off = r * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += x[off + i];
            double mean = sum / dim;
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[off + i] - mean;
                sq += d * d;
            }
            double inv = 1.0 / Math.sqrt(sq / dim + eps);
            for (int i = 0; i < dim; i++) {
                out[off + i] = (float) ((x[off + i] - mean) * inv * weight[i] + bias[i]);
            }
        }
    }

    /** {@code a[off+i] ← a[off+i]·scale} (float32), then their softmax in place (max-subtracted, sum in double). */
    static void softmax(float[] a, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            a[off + i] *= scale;
            max = Math.max(max, a[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp((double) a[off + i] - max);
            a[off + i] = (float) e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) a[off + i] *= inv;
    }

    /** {@code x · sigmoid(1.702 · x)} on {@code a[from..to)} in place. */
    static void quickGelu(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            double x = a[i];
            a[i] = (float) (x / (1.0 + Math.exp(-1.702 * x)));
        }
    }

    /**
     * Rotates one head vector {@code x[off..off+2·half)} in the rotate-half layout: for {@code j < half}, with
     * {@code c = cos[tableOff+j]}, {@code s = sin[tableOff+j]}, {@code x[j] ← x[j]·c − x[j+half]·s} and
     * {@code x[j+half] ← x[j+half]·c + x[j]·s} (that is {@code x·cos + rotate_half(x)·sin} with the angle table
     * repeated for both halves).
     */
    static void rotary(float[] x, int off, float[] cos, float[] sin, int tableOff, int half) {
        for (int j = 0; j < half; j++) {
            float c = cos[tableOff + j], s = sin[tableOff + j];
            float a = x[off + j], b = x[off + j + half];
            x[off + j] = a * c - b * s;
            x[off + j + half] = b * c + a * s;
        }
    }

    /** Rotates {@code heads} consecutive head vectors of each row in {@code [from, to)} (see {@link VisionOps#rotaryHeads}). */
    static void rotaryHeads(float[] x, int from, int to, int rowStride, int heads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int r = from; r < to; r++) {
            for (int h = 0; h < heads; h++) rotary(x, r * rowStride + h * headDim, cos, sin, r * half, half);
        }
    }

    /** {@code acc[i] += delta[i]} for {@code i} in {@code [from, to)}. */
    static void add(float[] acc, float[] delta, int from, int to) {
        for (int i = from; i < to; i++) acc[i] += delta[i];
    }
}
