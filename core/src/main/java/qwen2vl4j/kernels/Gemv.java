package qwen2vl4j.kernels;

import qwen2vl4j.io.DType;

/**
 * The matrix-vector product of one input row ({@code out[rows] = W · x + bias}), the decode step's
 * kernel. Its speed is the memory's: the weight rows are split into a few long contiguous ranges,
 * one per pool task, so each thread streams its share of the mapped file once; bf16 rows are
 * widened in registers, never copied.
 */
final class Gemv {
    /** Tasks per pool thread: long sequential stretches, yet enough of them to rebalance when a core is taken away. */
    private static final int TASKS_PER_THREAD = 8;
    /** Below this many weights a call stays on the calling thread. */
    static final long PARALLEL_THRESHOLD = 1L << 16;

    /** Per-thread buffer for one widened non-bf16 row. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    private Gemv() {}

    static void run(float[] x, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        long work = (long) rows * w.cols();
        int tasks = work < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.THREADS * TASKS_PER_THREAD);
        ComputePool.forEach(tasks, t -> rows(x, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void rows(float[] x, Matrix w, float[] bias, float[] out, int from, int to) {
        int cols = w.cols();
        if (w.dtype() == DType.BF16) {
            for (int r = from; r < to; r++) {
                float s = VectorKernels.dotBf16(w.data(), (long) r * cols * 2, x, 0, cols);
                out[r] = bias == null ? s : s + bias[r];
            }
            return;
        }
        float[][] holder = ROW.get();
        if (holder[0].length < cols) holder[0] = new float[cols];
        float[] row = holder[0];
        for (int r = from; r < to; r++) {
            w.row(r, row, 0);
            float s = VectorKernels.dot(x, 0, row, 0, cols);
            out[r] = bias == null ? s : s + bias[r];
        }
    }
}
