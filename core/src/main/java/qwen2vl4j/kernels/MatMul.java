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
    /** Activations per pool task of SwiGLU's activation. */
    private static final int SILU_PER_TASK = 1 << 13;

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

    /**
     * Two products of the same input, {@code out0 = x · W0ᵀ + b0} and {@code out1 = x · W1ᵀ + b1} (e.g. the
     * gate and up projections); for one input row both go through the pool as one range of rows.
     *
     * @throws IllegalArgumentException when the matrices differ in width or a size does not match
     */
    public static void matmul(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        checkShared(x, n, w0, b0, out0, w1, b1, out1);
        if (n == 1 && !w0.dtype().isQuantized() && !w1.dtype().isQuantized()) {
            Gemv.run(x, w0, b0, out0, w1, b1, out1, null, null, null);
        } else {
            matmul(x, n, w0, b0, out0);
            matmul(x, n, w1, b1, out1);
        }
    }

    /**
     * Three products of the same input, {@code out_i = x · W_iᵀ + b_i} (e.g. the q, k and v projections);
     * for one input row all three go through the pool as one range of rows.
     *
     * @throws IllegalArgumentException when the matrices differ in width or a size does not match
     */
    public static void matmul(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                              Matrix w2, float[] b2, float[] out2) {
        checkShared(x, n, w0, b0, out0, w1, b1, out1);
        checkShared(x, n, w0, b0, out0, w2, b2, out2);
        if (n == 1 && !w0.dtype().isQuantized() && !w1.dtype().isQuantized() && !w2.dtype().isQuantized()) {
            Gemv.run(x, w0, b0, out0, w1, b1, out1, w2, b2, out2);
        } else {
            matmul(x, n, w0, b0, out0);
            matmul(x, n, w1, b1, out1);
            matmul(x, n, w2, b2, out2);
        }
    }

    /**
     * The first half of a SwiGLU MLP: {@code upOut = x · Uᵀ} and {@code gateOut = silu(x · Gᵀ) ⊙ upOut}, silu in float32 lanes
     * ({@link VectorKernels#siluMul}, twin {@link TextOps#siluMul}). For one input row both products and the activation run in one pass over the pool.
     *
     * @param gateOut {@code [n, gate.rows()]}, overwritten with the activated product
     * @param upOut   {@code [n, up.rows()]}, overwritten with the up projection
     * @throws IllegalArgumentException when the matrices differ in shape or a size does not match
     */
    public static void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        checkShared(x, n, gate, null, gateOut, up, null, upOut);
        if (gate.rows() != up.rows()) {
            throw new IllegalArgumentException("swiGlu: " + gate.name() + " has " + gate.rows() + " rows but " + up.name() + " has " + up.rows());
        }
        if (n == 1 && !gate.dtype().isQuantized() && !up.dtype().isQuantized()) {
            Gemv.swiGlu(x, gate, up, gateOut, upOut);
        } else {
            matmul(x, n, gate, null, gateOut, up, null, upOut);
            int total = n * gate.rows();
            int tasks = total < SILU_PER_TASK ? 1 : Math.min(ComputePool.threads() * 4, total / SILU_PER_TASK);
            ComputePool.forEachRange(total, tasks, (from, to) -> VectorKernels.siluMul(gateOut, upOut, from, to));
        }
    }

    private static void checkShared(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        checkSizes(x, n, w0, b0, out0);
        checkSizes(x, n, w1, b1, out1);
        if (w0.cols() != w1.cols()) {
            throw new IllegalArgumentException("matmul of one input with " + w0.name() + " [" + w0.rows() + ", " + w0.cols() + "] and "
                    + w1.name() + " [" + w1.rows() + ", " + w1.cols() + "]: the widths differ");
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
        int tasks = (long) n * rows * w.cols() < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * 8);
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
