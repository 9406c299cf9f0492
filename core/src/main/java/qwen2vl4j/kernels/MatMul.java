package qwen2vl4j.kernels;

import qwen2vl4j.io.DType;

/**
 * {@code out[n, rows] = x[n, cols] · Wᵀ + bias}, the linear layer of every component.
 * One input row takes the bandwidth-bound {@link Gemv}; several take the tiled {@link Gemm}
 * (a handful, the row-wise kernel). All split the work across the {@link ComputePool}. Block-quantized
 * weights take {@link QuantGemv} (integer dot products) for a few rows and the GEMM otherwise.
 */
public final class MatMul {
    /** Work below this many multiply-adds stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;
    /** From this many input rows on, the tiled GEMM; below it, the row-wise kernel. */
    static final int GEMM_MIN_ROWS = 4;

    private MatMul() {}

    /**
     * @param x    input rows, {@code [n, w.cols()]} row-major
     * @param bias {@code [w.rows()]} or null
     * @param out  {@code [n, w.rows()]} row-major, overwritten
     */
    public static void matmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        checkSizes(x, n, w, bias, out);
        if (w.dtype().isQuantized() && n < GEMM_MIN_ROWS) {
            QuantGemv.run(x, n, w, bias, out);
        } else if (n == 1) {
            Gemv.run(x, w, bias, out);
        } else if (n < GEMM_MIN_ROWS) {
            rowwise(x, n, w, bias, out);
        } else {
            Gemm.run(x, n, w, bias, out);
        }
    }

    static void checkSizes(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        if (x.length < (long) n * cols || out.length < (long) n * rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + " [" + rows + ", " + cols + "]: input holds "
                    + x.length + " values for " + n + " rows, output " + out.length);
        }
        if (bias != null && bias.length != rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + ": bias has " + bias.length + " values, expected " + rows);
        }
    }

    /**
     * The first kernel, kept as the benchmark's GEMV baseline: each weight row is widened once and
     * dotted with every input row, rows split across the pool. Same contract as {@link #matmul}.
     */
    public static void matmulRowwise(float[] x, int n, Matrix w, float[] bias, float[] out) {
        checkSizes(x, n, w, bias, out);
        rowwise(x, n, w, bias, out);
    }

    /**
     * The previous tiled GEMM (6×2 register tile over the unpacked input), kept as the benchmark's
     * baseline for {@code n ≥ 4} rows. Same contract as {@link #matmul}.
     */
    public static void matmulTiledBaseline(float[] x, int n, Matrix w, float[] bias, float[] out) {
        checkSizes(x, n, w, bias, out);
        GemmBaseline.run(x, n, w, bias, out);
    }

    private static void rowwise(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        int tasks = (long) n * rows * w.cols() < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.THREADS * 8);
        ComputePool.forEach(tasks, t -> rowRange(x, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void rowRange(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        if (n == 1 && w.dtype() == DType.BF16) {
            for (int r = from; r < to; r++) {
                float s = VectorKernels.dotBf16(w.data(), (long) r * cols * 2, x, 0, cols);
                out[r] = s + (bias == null ? 0f : bias[r]);
            }
            return;
        }
        float[] wr = new float[cols];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = VectorKernels.dot(x, i * cols, wr, 0, cols) + b;
            }
        }
    }

    /** The scalar twin (double accumulation), for tests. */
    public static void matmulScalar(float[] x, int n, Matrix w, float[] bias, float[] out) {
        ScalarKernels.matmul(x, n, w, bias, out);
    }
}
