package qwen2vl4j.kernels;

/**
 * The built-in {@link ComputeBackend}: the Vector API kernels split across the {@link ComputePool}. One input row
 * takes the bandwidth-bound {@link Gemv}; two or three {@link #fewRows}; up to {@link FewRows#MAX_ROWS} (a batched
 * decode step) {@link FewRows}; more the tiled {@link Gemm}.
 * Block-quantized weights take {@link QuantGemv} (integer dot products) for a few rows and the GEMM, on
 * dequantized tiles, otherwise.
 */
public final class JavaBackend implements ComputeBackend {
    /** Its name, always available. */
    public static final String NAME = "java";
    /** The one instance. */
    public static final JavaBackend INSTANCE = new JavaBackend();

    /** Work below this many multiply-adds stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;
    /** From this many input rows on, the tiled GEMM; below it, {@link #fewRows}. */
    static final int GEMM_MIN_ROWS = 4;
    /** Activations per pool task of SwiGLU's activation. */
    private static final int SILU_PER_TASK = 1 << 13;

    private JavaBackend() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String implementation() {
        return "Vector API, " + VectorKernels.L + " f32 lanes (" + VectorKernels.F.vectorBitSize() + "-bit), "
                + ComputePool.threads() + " threads";
    }

    @Override
    public void gemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (w.dtype().isQuantized() && n < GEMM_MIN_ROWS) {
            QuantGemv.run(x, n, w, bias, out);
        } else if (n == 1) {
            Gemv.run(x, w, bias, out);
        } else if (n < GEMM_MIN_ROWS) {
            fewRows(x, n, w, bias, out);
        } else if (n <= FewRows.MAX_ROWS) {
            FewRows.run(x, n, w, bias, out);
        } else {
            Gemm.run(x, n, w, bias, out);
        }
    }

    /**
     * The tiled {@link Gemm}'s arithmetic, whose micro-kernels give every row the same sum in the same order whatever
     * the number of rows: {@link GemmFewRows} (the same floats without packing the weights) up to
     * {@link GemmFewRows#MAX_ROWS} rows, the GEMM itself above. (The few-row kernels of a decode step sum in another
     * order.)
     */
    @Override
    public void rowStableGemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (n <= GemmFewRows.MAX_ROWS) GemmFewRows.run(x, n, w, bias, out);
        else Gemm.run(x, n, w, bias, out);
    }

    @Override
    public boolean rowStable() {
        return true;
    }

    @Override
    public void gemv(float[] x, Matrix w, float[] bias, float[] out) {
        if (w.dtype().isQuantized()) {
            QuantGemv.run(x, 1, w, bias, out);
        } else {
            Gemv.run(x, w, bias, out);
        }
    }

    /** For one input row (for quantized matrices, up to {@code GEMM_MIN_ROWS}) all matrices go through the pool as one range of rows. */
    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        if (n == 1 && !w0.dtype().isQuantized() && !w1.dtype().isQuantized()) {
            Gemv.run(x, w0, b0, out0, w1, b1, out1, null, null, null);
        } else if (n < GEMM_MIN_ROWS && QuantGemv.fusable(w0, w1)) {
            QuantGemv.run(x, n, new Matrix[] {w0, w1}, new float[][] {b0, b1}, new float[][] {out0, out1});
        } else {
            gemm(x, n, w0, b0, out0);
            gemm(x, n, w1, b1, out1);
        }
    }

    /** For one input row (for quantized matrices, up to {@code GEMM_MIN_ROWS}) all matrices go through the pool as one range of rows. */
    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                     Matrix w2, float[] b2, float[] out2) {
        if (n == 1 && !w0.dtype().isQuantized() && !w1.dtype().isQuantized() && !w2.dtype().isQuantized()) {
            Gemv.run(x, w0, b0, out0, w1, b1, out1, w2, b2, out2);
        } else if (n < GEMM_MIN_ROWS && QuantGemv.fusable(w0, w1, w2)) {
            QuantGemv.run(x, n, new Matrix[] {w0, w1, w2}, new float[][] {b0, b1, b2}, new float[][] {out0, out1, out2});
        } else {
            gemm(x, n, w0, b0, out0);
            gemm(x, n, w1, b1, out1);
            gemm(x, n, w2, b2, out2);
        }
    }

    /**
     * Silu in float32 lanes ({@link VectorKernels#siluMul}, twin {@code TextOpsReference.siluMul}); for one input row
     * (quantized matrices: a few) both products and the activation run in one pass over the pool.
     */
    @Override
    public void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        if (n == 1 && !gate.dtype().isQuantized() && !up.dtype().isQuantized()) {
            Gemv.swiGlu(x, gate, up, gateOut, upOut);
        } else if (n < GEMM_MIN_ROWS && QuantGemv.fusable(gate, up) && gate.rows() == up.rows()) {
            QuantGemv.swiGlu(x, n, gate, up, gateOut, upOut);
        } else {
            gemm(x, n, gate, null, gateOut, up, null, upOut);
            siluMul(gateOut, upOut, n * gate.rows());
        }
    }

    /** {@code gate[i] = silu(gate[i]) · up[i]} for {@code i < total}, split across the pool. */
    static void siluMul(float[] gate, float[] up, int total) {
        int tasks = total < SILU_PER_TASK ? 1 : Math.min(ComputePool.threads() * 4, total / SILU_PER_TASK);
        ComputePool.forEachRange(total, tasks, (from, to) -> VectorKernels.siluMul(gate, up, from, to));
    }

    /** A few input rows: each weight row is widened once and dotted with every input row, rows split across the pool. */
    private static void fewRows(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        int tasks = (long) n * rows * w.cols() < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * 8);
        ComputePool.forEach(tasks, t -> fewRows(x, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void fewRows(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        float[] wr = new float[cols];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = VectorKernels.dot(x, i * cols, wr, 0, cols) + b;
            }
        }
    }
}
