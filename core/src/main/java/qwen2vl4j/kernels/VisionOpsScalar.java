package qwen2vl4j.kernels;

/**
 * Plain-Java twins of the vision kernels in {@link VisionVectorKernels}, one row or range at a
 * time on the calling thread: the definitions the tests compare the vector versions against.
 * Results are float32; intermediate values and sums are kept in double, so each op is at least as
 * accurate as the float32 reference.
 */
final class VisionOpsScalar {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_2 = 1.0 / Math.sqrt(2.0);
    /** Below this |x| erf uses its Maclaurin series, above it the erfc continued fraction. */
    private static final double SERIES_LIMIT = 2.5;
    /** Above this |x|, 1 − |erf(x)| < 2.2e-17: erf is ±1 in double. */
    private static final double SATURATION = 6.0;
    /** Depth of the erfc continued fraction; at |x| = 2.5 it converges to double precision well before this. */
    private static final int CONTINUED_FRACTION_TERMS = 50;

    private VisionOpsScalar() {}

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

    /** Exact GELU {@code 0.5 · x · (1 + erf(x / √2))} on {@code a[from..to)} in place. */
    static void gelu(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            double x = a[i];
            a[i] = (float) (0.5 * x * (1.0 + erf(x * ONE_OVER_SQRT_2)));
        }
    }

    /** The error function (see {@link VisionOps#erf}). */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax >= SATURATION) return Math.copySign(1.0, x);
        if (ax < SERIES_LIMIT) return erfSeries(x);
        return Math.copySign(1.0 - erfcContinuedFraction(ax), x);
    }

    private static double erfSeries(double x) {
        double x2 = x * x;
        double power = x; // (−1)ⁿ x^(2n+1) / n!
        double sum = x;
        for (int n = 1; n < 100; n++) {
            power *= -x2 / n;
            double term = power / (2 * n + 1);
            sum += term;
            if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(x) for x ≥ 2.5, the continued fraction evaluated from its tail. */
    private static double erfcContinuedFraction(double x) {
        double f = x;
        for (int k = CONTINUED_FRACTION_TERMS; k >= 1; k--) {
            f = x + (k * 0.5) / f;
        }
        return Math.exp(-x * x) * ONE_OVER_SQRT_PI / f;
    }

    /** Rotates one head vector {@code x[off..off+2·half)} in the rotate-half layout (see {@link VisionOps#rotary}). */
    static void rotary(float[] x, int off, float[] cos, float[] sin, int tableOff, int half) {
        rotary(x, off, cos, sin, tableOff, half, half);
    }

    /** Pairs {@code j < count} of {@link #rotary}: {@code x[off+j]} with {@code x[off+j+half]}, angle {@code tableOff+j}. */
    static void rotary(float[] x, int off, float[] cos, float[] sin, int tableOff, int count, int half) {
        for (int j = 0; j < count; j++) {
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
