package qwen2vl4j.kernels;

/**
 * The element-wise and row-wise operations of the vision tower (HF Qwen2VisionTransformerPretrainedModel):
 * LayerNorm, softmax, quick GELU, exact (erf) GELU, the 2-D rotary rotation and the residual sum. Large calls are
 * split across the {@link ComputePool} by rows (or ranges of elements) and run in vector lanes
 * ({@link VisionVectorKernels}); every op has a plain-Java twin in the tests ({@code VisionOpsReference}). GELU runs
 * here in double, as do its erf and the rotary tail of a head. Results are float32; sums over a row are kept in
 * double, so each op is at least as accurate as the float32 reference. A result never depends on how the work was split.
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
    /** Calls touching fewer values than this stay on the calling thread. */
    private static final int SERIAL_VALUES = 1 << 14;
    /** Pieces per pool thread, so a slow core does not hold the others up. */
    private static final int TASKS_PER_THREAD = 4;

    private VisionOps() {}

    /** Runs {@code body} over {@code [0, count)} in pieces across the pool; each item touches {@code valuesPerItem} values. */
    private static void split(int count, int valuesPerItem, ComputePool.Range body) {
        int tasks = (long) count * valuesPerItem < SERIAL_VALUES ? 1 : Math.min(count, ComputePool.threads() * TASKS_PER_THREAD);
        ComputePool.forEachRange(count, tasks, body);
    }

    /**
     * LayerNorm of each of {@code rows} rows of width {@code dim}:
     * {@code out = (x − mean) / sqrt(var + eps) · weight + bias}, var the biased variance.
     * {@code out} may be {@code x}.
     */
    public static void layerNorm(float[] x, int rows, int dim, float[] weight, float[] bias, float eps, float[] out) {
        if (weight.length != dim || bias.length != dim) {
            throw new IllegalArgumentException("layerNorm over " + dim + " values: weight has " + weight.length + ", bias " + bias.length);
        }
        split(rows, dim, (from, to) -> VisionVectorKernels.layerNorm(x, from, to, dim, weight, bias, eps, out));
    }

    /**
     * Scales each of the {@code rows} rows of {@code a [rows, n]} (from index 0) by {@code scale}
     * (float32) and replaces it by its softmax: the attention probabilities of scores {@code q·kᵀ}.
     */
    public static void softmaxRows(float[] a, int rows, int n, float scale) {
        split(rows, n, (from, to) -> {
            for (int r = from; r < to; r++) VisionVectorKernels.softmax(a, r * n, n, scale);
        });
    }

    /** {@code x · sigmoid(1.702 · x)} on {@code a[off..off+n)} in place (the vision MLP's activation). */
    public static void quickGelu(float[] a, int off, int n) {
        split(n, 1, (from, to) -> VisionVectorKernels.quickGelu(a, off + from, off + to));
    }

    /** Exact GELU {@code 0.5 · x · (1 + erf(x / √2))} on {@code a[off..off+n)} in place (the merger's activation). */
    public static void gelu(float[] a, int off, int n) {
        split(n, 1, (from, to) -> geluRange(a, off + from, off + to));
    }

    /** Exact GELU on {@code a[from..to)} in place, in double. */
    static void geluRange(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
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

    /**
     * Pairs {@code j < count} of one head vector in the rotate-half layout (the lanes past a vector's width in
     * {@link VisionVectorKernels#rotaryHeads}): with {@code c = cos[tableOff+j]}, {@code s = sin[tableOff+j]},
     * {@code x[off+j] ← x[off+j]·c − x[off+j+half]·s} and {@code x[off+j+half] ← x[off+j+half]·c + x[off+j]·s}.
     */
    static void rotaryPairs(float[] x, int off, float[] cos, float[] sin, int tableOff, int count, int half) {
        for (int j = 0; j < count; j++) {
            float c = cos[tableOff + j], s = sin[tableOff + j];
            float a = x[off + j], b = x[off + j + half];
            x[off + j] = a * c - b * s;
            x[off + j + half] = b * c + a * s;
        }
    }

    /**
     * Rotates {@code heads} consecutive head vectors of {@code headDim} at the start of each
     * of the {@code rows} rows of {@code x} (row {@code r} at {@code r·rowStride}), all of row {@code r}
     * turned by its angles {@code cos/sin[r·headDim/2 ..]} (tables {@code [rows, headDim/2]}), in the rotate-half layout
     * (HF apply_rotary_pos_emb_vision: {@code x·cos + rotate_half(x)·sin}, the angle table repeated for both halves).
     */
    public static void rotaryHeads(float[] x, int rows, int rowStride, int heads, int headDim, float[] cos, float[] sin) {
        if (headDim % 2 != 0 || (long) heads * headDim > rowStride || cos.length < (long) rows * (headDim / 2) || sin.length != cos.length) {
            throw new IllegalArgumentException("rotaryHeads: " + heads + " heads of " + headDim + " in rows of " + rowStride
                    + " with cos/sin tables of " + cos.length + "/" + sin.length + " for " + rows + " rows");
        }
        split(rows, heads * headDim, (from, to) -> VisionVectorKernels.rotaryHeads(x, from, to, rowStride, heads, headDim, cos, sin));
    }

    /** {@code acc[i] += delta[i]} for {@code i < n} (a residual connection). */
    public static void add(float[] acc, float[] delta, int n) {
        split(n, 1, (from, to) -> VisionVectorKernels.add(acc, delta, from, to));
    }
}
