package qwen2vl4j.kernels;

/**
 * {@code out[n, rows] = x[n, cols] · Wᵀ + bias}, the linear layer of every component: checks the sizes, naming
 * the matrix, and hands the product to the {@link ComputeBackend} the weight matrix was loaded for
 * ({@link Matrix#backend()}): {@link ComputeBackend#gemv} for one input row, {@link ComputeBackend#gemm} for more.
 * The fused forms go to that backend whole when all their matrices share it, as one product per matrix otherwise.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * @param x    input rows, {@code [n, w.cols()]} row-major
     * @param bias {@code [w.rows()]} or null
     * @param out  {@code [n, w.rows()]} row-major, overwritten
     */
    public static void matmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        checkSizes(x, n, w, bias, out);
        if (n == 0) return;
        if (n == 1) {
            w.backend().gemv(x, w, bias, out);
        } else {
            w.backend().gemm(x, n, w, bias, out);
        }
    }

    /**
     * {@link #matmul(float[], int, Matrix, float[], float[])} for rows whose results must not depend on {@code n}
     * (a prefill pass, the vision tower): {@link ComputeBackend#rowStableGemm}, which on the Java backend gives each
     * row the same bits whatever {@code n}, so that a prompt run in pieces or continued from a cached prefix equals
     * one pass.
     */
    public static void rowStableMatmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        checkSizes(x, n, w, bias, out);
        if (n > 0) w.backend().rowStableGemm(x, n, w, bias, out);
    }

    /** {@link #swiGlu} for rows as in {@link #rowStableMatmul}: both products by {@link #rowStableMatmul}, then the activation. */
    public static void rowStableSwiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        checkSwiGlu(x, n, gate, up, gateOut, upOut);
        rowStableMatmul(x, n, gate, null, gateOut);
        rowStableMatmul(x, n, up, null, upOut);
        JavaBackend.siluMul(gateOut, upOut, n * gate.rows());
    }

    /**
     * Two products of the same input, {@code out0 = x · W0ᵀ + b0} and {@code out1 = x · W1ᵀ + b1} (e.g. the
     * gate and up projections); for one input row (block-quantized matrices: up to three) the Java backend runs both
     * through the pool as one range of rows.
     *
     * @throws IllegalArgumentException when the matrices differ in width or a size does not match
     */
    public static void matmul(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        checkShared(x, n, w0, b0, out0, w1, b1, out1);
        if (w0.backend() == w1.backend()) {
            w0.backend().gemm(x, n, w0, b0, out0, w1, b1, out1);
        } else {
            matmul(x, n, w0, b0, out0);
            matmul(x, n, w1, b1, out1);
        }
    }

    /**
     * Three products of the same input, {@code out_i = x · W_iᵀ + b_i} (e.g. the q, k and v projections);
     * for one input row (block-quantized matrices: up to three) the Java backend runs all three through the pool as
     * one range of rows.
     *
     * @throws IllegalArgumentException when the matrices differ in width or a size does not match
     */
    public static void matmul(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                              Matrix w2, float[] b2, float[] out2) {
        checkShared(x, n, w0, b0, out0, w1, b1, out1);
        checkShared(x, n, w0, b0, out0, w2, b2, out2);
        if (w0.backend() == w1.backend() && w0.backend() == w2.backend()) {
            w0.backend().gemm(x, n, w0, b0, out0, w1, b1, out1, w2, b2, out2);
        } else {
            matmul(x, n, w0, b0, out0);
            matmul(x, n, w1, b1, out1);
            matmul(x, n, w2, b2, out2);
        }
    }

    /**
     * The first half of a SwiGLU MLP: {@code upOut = x · Uᵀ} and {@code gateOut = silu(x · Gᵀ) ⊙ upOut}
     * ({@link ComputeBackend#swiGlu}).
     *
     * @param gateOut {@code [n, gate.rows()]}, overwritten with the activated product
     * @param upOut   {@code [n, up.rows()]}, overwritten with the up projection
     * @throws IllegalArgumentException when the matrices differ in shape or a size does not match
     */
    public static void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        checkSwiGlu(x, n, gate, up, gateOut, upOut);
        if (gate.backend() == up.backend()) {
            gate.backend().swiGlu(x, n, gate, up, gateOut, upOut);
        } else {
            matmul(x, n, gate, null, gateOut);
            matmul(x, n, up, null, upOut);
            JavaBackend.siluMul(gateOut, upOut, n * gate.rows());
        }
    }

    private static void checkSwiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        checkShared(x, n, gate, null, gateOut, up, null, upOut);
        if (gate.rows() != up.rows()) {
            throw new IllegalArgumentException("swiGlu: " + gate.name() + " has " + gate.rows() + " rows but " + up.name() + " has " + up.rows());
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
        if (n < 0) {
            throw new IllegalArgumentException("matmul with " + w.name() + " [" + rows + ", " + cols + "]: " + n + " input rows");
        }
        if (x.length < (long) n * cols || out.length < (long) n * rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + " [" + rows + ", " + cols + "]: input holds "
                    + x.length + " values for " + n + " rows, output " + out.length);
        }
        if (bias != null && bias.length != rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + ": bias has " + bias.length + " values, expected " + rows);
        }
    }
}
