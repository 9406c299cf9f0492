package qwen2vl4j.kernels;

/**
 * The product of a few input rows ({@code out[n, rows] = x · Wᵀ + bias}, 2 ≤ n ≤ {@link #MAX_ROWS}): a batched
 * decode step's, where every session adds one row. Like {@link Gemv} it is bound by reading the weights once: the
 * weight rows are split into a few long ranges, one per pool task; each row is widened once to float32 (any
 * stored type, dequantized for a block type) into a per-thread buffer that stays in the first-level cache, then
 * two widened rows are multiplied with the input rows four at a time ({@link VectorKernels#dot2x4}), so each
 * weight vector is loaded once for four products and each input vector once for two (against one weight row at a
 * time, on [8960x1536] bf16 on a 2-core Zen 3: 4 input rows 1.39× faster, 8 rows 1.10×, 16 rows 1.73×, 32 rows
 * 1.57×). The tiled {@link Gemm} packs and transposes every weight tile, which only pays off for many rows.
 */
final class FewRows {
    /** The most input rows this kernel takes; more go to the tiled GEMM. */
    static final int MAX_ROWS = 32;
    private static final int TASKS_PER_THREAD = 8;
    /** Per thread: two widened weight rows, the lanes and sums of {@link VectorKernels#dot2x4}, padded input rows. */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[8 * VectorKernels.L], new float[0]});

    private FewRows() {}

    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        long work = (long) n * rows * cols;
        int tasks = work < Gemv.PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * TASKS_PER_THREAD);
        float[] padded = padded(x, n, cols);
        ComputePool.forEach(tasks, t -> rows(padded, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    /**
     * {@code x} with zero rows up to a multiple of four, so that every product goes through the same four-row kernels
     * (a row's result must not depend on how many rows came with it); {@code x} itself where {@code n} already is a
     * multiple of four. The padded copy is the calling thread's scratch, read by the pool's tasks.
     */
    private static float[] padded(float[] x, int n, int cols) {
        int n4 = (n + 3) & ~3;
        if (n4 == n) return x;
        float[][] scratch = SCRATCH.get();
        if (scratch[2].length < n4 * cols) scratch[2] = new float[n4 * cols];
        float[] p = scratch[2];
        System.arraycopy(x, 0, p, 0, n * cols);
        java.util.Arrays.fill(p, n * cols, n4 * cols, 0f);
        return p;
    }

    /**
     * Columns {@code [from, to)} of {@code out}: pairs of weight rows against four input rows at a time, an odd last
     * weight row alone through {@link VectorKernels#dot4} (which gives a row the same bits as {@code dot2x4}).
     */
    private static void rows(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < 2 * cols) scratch[0] = new float[2 * cols];
        float[] wr = scratch[0], sums = scratch[1];
        int r = from;
        for (; r + 2 <= to; r += 2) {
            w.row(r, wr, 0);
            w.row(r + 1, wr, cols);
            float b0 = bias == null ? 0f : bias[r], b1 = bias == null ? 0f : bias[r + 1];
            for (int i = 0; i < n; i += 4) {
                VectorKernels.dot2x4(wr, x, i * cols, cols, sums);
                for (int j = 0, m = Math.min(4, n - i); j < m; j++) {
                    out[(i + j) * rows + r] = sums[j] + b0;
                    out[(i + j) * rows + r + 1] = sums[4 + j] + b1;
                }
            }
        }
        if (r < to) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            for (int i = 0; i < n; i += 4) {
                VectorKernels.dot4(wr, x, i * cols, cols, sums);
                for (int j = 0, m = Math.min(4, n - i); j < m; j++) out[(i + j) * rows + r] = sums[j] + b;
            }
        }
    }
}
