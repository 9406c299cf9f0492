package qwen2vl4j.kernels;

/**
 * The element-wise and row-wise operations of the vision tower (spec §5): LayerNorm, softmax,
 * quick GELU, exact (erf) GELU, the 2-D rotary rotation, and the small vector helpers attention
 * needs. Plain Java; results are float32, intermediate sums are kept in double where that is
 * cheap, so each op is at least as accurate as the float32 reference.
 */
public final class VisionOps {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_PI = 1.0 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_2 = 1.0 / Math.sqrt(2.0);
    /** Below this |x| erf uses its Maclaurin series, above it the erfc continued fraction. */
    private static final double SERIES_LIMIT = 2.5;
    /** Above this |x|, 1 − |erf(x)| < 2.2e-17: erf is ±1 in double. */
    private static final double SATURATION = 6.0;
    /** Depth of the erfc continued fraction; at |x| = 2.5 it converges to double precision well before this. */
    private static final int CONTINUED_FRACTION_TERMS = 50;

    private VisionOps() {}

    /**
     * LayerNorm of each of {@code rows} rows of width {@code dim}:
     * {@code out = (x − mean) / sqrt(var + eps) · weight + bias}, var the biased variance.
     * {@code out} may be {@code x}.
     */
    public static void layerNorm(float[] x, int rows, int dim, float[] weight, float[] bias, float eps, float[] out) {
        if (weight.length != dim || bias.length != dim) {
            throw new IllegalArgumentException("layerNorm over " + dim + " values: weight has " + weight.length + ", bias " + bias.length);
        }
        for (int r = 0; r < rows; r++) {
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

    /** Softmax of {@code a[off..off+n)} in place (max-subtracted, sum in double). */
    public static void softmax(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp((double) a[off + i] - max);
            a[off + i] = (float) e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) a[off + i] *= inv;
    }

    /** {@code x · sigmoid(1.702 · x)} on {@code a[off..off+n)} in place (the vision MLP's activation). */
    public static void quickGelu(float[] a, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double x = a[i];
            a[i] = (float) (x / (1.0 + Math.exp(-1.702 * x)));
        }
    }

    /** Exact GELU {@code 0.5 · x · (1 + erf(x / √2))} on {@code a[off..off+n)} in place (the merger's activation). */
    public static void gelu(float[] a, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double x = a[i];
            a[i] = (float) (0.5 * x * (1.0 + erf(x * ONE_OVER_SQRT_2)));
        }
    }

    /**
     * The error function, accurate to about 1e-15 relative: the Maclaurin series
     * {@code 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))} for |x| < 2.5 and
     * {@code 1 − erfc(x)} with the continued fraction
     * {@code erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))} above.
     */
    public static double erf(double x) {
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

    /**
     * Rotates one head vector {@code x[off..off+2·half)} in the rotate-half layout:
     * for {@code j < half}, with {@code c = cos[tableOff+j]}, {@code s = sin[tableOff+j]},
     * {@code x[j] ← x[j]·c − x[j+half]·s} and {@code x[j+half] ← x[j+half]·c + x[j]·s}
     * (that is {@code x·cos + rotate_half(x)·sin} with the angle table repeated for both halves).
     */
    public static void rotary(float[] x, int off, float[] cos, float[] sin, int tableOff, int half) {
        for (int j = 0; j < half; j++) {
            float c = cos[tableOff + j], s = sin[tableOff + j];
            float a = x[off + j], b = x[off + j + half];
            x[off + j] = a * c - b * s;
            x[off + j + half] = b * c + a * s;
        }
    }

    /** {@code Σ a[ao+i]·b[bo+i]} for {@code i < n} (vectorised). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return VectorKernels.dot(a, ao, b, bo, n);
    }

    /** {@code y[yo+i] += alpha · x[xo+i]} for {@code i < n}. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** {@code acc[i] += delta[i]} for {@code i < n} (a residual connection). */
    public static void add(float[] acc, float[] delta, int n) {
        for (int i = 0; i < n; i++) acc[i] += delta[i];
    }
}
