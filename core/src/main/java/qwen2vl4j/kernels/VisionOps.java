package qwen2vl4j.kernels;

/**
 * The element-wise and row-wise operations of the vision tower (spec §5): LayerNorm, softmax,
 * quick GELU, exact (erf) GELU, the 2-D rotary rotation, and the small vector helpers attention
 * needs. Large calls are split across the {@link ComputePool} by rows (or ranges of elements) and run
 * in vector lanes ({@link VisionVectorKernels}); every op has a plain-Java twin
 * ({@link VisionOpsScalar}). Results are float32; sums over a row are kept in double, so each op is
 * at least as accurate as the float32 reference. A result never depends on how the work was split.
 */
public final class VisionOps {
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

    /** Softmax of {@code a[off..off+n)} in place (max-subtracted, sum in double). */
    public static void softmax(float[] a, int off, int n) {
        VisionVectorKernels.softmax(a, off, n, 1f);
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
        split(n, 1, (from, to) -> VisionOpsScalar.gelu(a, off + from, off + to));
    }

    /**
     * The error function, accurate to about 1e-15 relative: the Maclaurin series
     * {@code 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))} for |x| < 2.5 and
     * {@code 1 − erfc(x)} with the continued fraction
     * {@code erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))} above.
     */
    public static double erf(double x) {
        return VisionOpsScalar.erf(x);
    }

    /**
     * Rotates one head vector {@code x[off..off+2·half)} in the rotate-half layout:
     * for {@code j < half}, with {@code c = cos[tableOff+j]}, {@code s = sin[tableOff+j]},
     * {@code x[j] ← x[j]·c − x[j+half]·s} and {@code x[j+half] ← x[j+half]·c + x[j]·s}
     * (that is {@code x·cos + rotate_half(x)·sin} with the angle table repeated for both halves).
     */
    public static void rotary(float[] x, int off, float[] cos, float[] sin, int tableOff, int half) {
        VisionOpsScalar.rotary(x, off, cos, sin, tableOff, half);
    }

    /**
     * {@link #rotary} for {@code heads} consecutive head vectors of {@code headDim} at the start of each
     * of the {@code rows} rows of {@code x} (row {@code r} at {@code r·rowStride}), all of row {@code r}
     * turned by its angles {@code cos/sin[r·headDim/2 ..]} (tables {@code [rows, headDim/2]}).
     */
    public static void rotaryHeads(float[] x, int rows, int rowStride, int heads, int headDim, float[] cos, float[] sin) {
        if (headDim % 2 != 0 || (long) heads * headDim > rowStride || cos.length < (long) rows * (headDim / 2) || sin.length != cos.length) {
            throw new IllegalArgumentException("rotaryHeads: " + heads + " heads of " + headDim + " in rows of " + rowStride
                    + " with cos/sin tables of " + cos.length + "/" + sin.length + " for " + rows + " rows");
        }
        split(rows, heads * headDim, (from, to) -> VisionVectorKernels.rotaryHeads(x, from, to, rowStride, heads, headDim, cos, sin));
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
        split(n, 1, (from, to) -> VisionVectorKernels.add(acc, delta, from, to));
    }
}
