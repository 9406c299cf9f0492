package qwen2vl4j.kernels;

/**
 * The product of a few input rows ({@code out[n, rows] = x · Wᵀ + bias}, 2 ≤ n ≤ {@link #MAX_ROWS}): a batched
 * decode step's, where every session adds one row. Like {@link Gemv} it is bound by reading the weights once: the
 * weight rows are split into a few long ranges, one per pool task; each row is widened once to float32 (any
 * stored type, dequantized for a block type) into a per-thread buffer that stays in the first-level cache, then
 * multiplied with the input rows four at a time ({@link VectorKernels#dot4}), so each widened weight vector is
 * loaded once for four products. The tiled {@link Gemm} packs and transposes every weight tile, which only pays
 * off for many rows.
 */
final class FewRows {
    /** The most input rows this kernel takes; more go to the tiled GEMM. */
    static final int MAX_ROWS = 32;
    private static final int TASKS_PER_THREAD = 8;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[4]});

    private FewRows() {}

    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        long work = (long) n * rows * w.cols();
        int tasks = work < Gemv.PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * TASKS_PER_THREAD);
        ComputePool.forEach(tasks, t -> rows(x, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void rows(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < cols) scratch[0] = new float[cols];
        float[] wr = scratch[0], sums = scratch[1];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                VectorKernels.dot4(wr, x, i * cols, cols, sums);
                for (int j = 0; j < 4; j++) out[(i + j) * rows + r] = sums[j] + b;
            }
            for (; i < n; i++) out[i * rows + r] = VectorKernels.dot(x, i * cols, wr, 0, cols) + b;
        }
    }
}
