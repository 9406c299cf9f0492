package qwen2vl4j.kernels;

import qwen2vl4j.io.DType;

/**
 * The matrix-vector product of one input row ({@code out[rows] = W · x + bias}), the decode step's
 * kernel. Its speed is the memory's: the weight rows are split into a few long contiguous ranges,
 * one per pool task, so each thread streams its share of the mapped file once; bf16 rows are
 * widened in registers, never copied. Up to three matrices with the same input (q/k/v, gate/up)
 * go through the pool as one range of rows, one fork/join instead of three; SwiGLU's gate and up
 * projections go through it together with their activation.
 */
final class Gemv {
    /** Tasks per pool thread: long sequential stretches, yet enough of them to rebalance when a core is taken away. */
    private static final int TASKS_PER_THREAD = 8;
    /** Below this many weights a call stays on the calling thread. */
    static final long PARALLEL_THRESHOLD = 1L << 16;

    /** Per-thread scratch: the input de-interleaved for {@link VectorKernels#dotBf16Pairs}, and one widened non-bf16 row. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemv() {}

    /** {@code out = W · x + bias} ({@code bias} may be null). */
    static void run(float[] x, Matrix w, float[] bias, float[] out) {
        run(x, w, bias, out, null, null, null, null, null, null);
    }

    /**
     * {@code out_i = W_i · x + bias_i} for the matrices that are not null ({@code w0} never is); all have
     * {@code w0.cols()} columns. Their rows are split across the pool as one range.
     */
    static void run(float[] x, Matrix w0, float[] b0, float[] o0, Matrix w1, float[] b1, float[] o1, Matrix w2, float[] b2, float[] o2) {
        int cols = w0.cols();
        int r0 = w0.rows(), r1 = w1 == null ? 0 : w1.rows(), r2 = w2 == null ? 0 : w2.rows();
        int rows = r0 + r1 + r2;
        long work = (long) rows * cols;
        int tasks = work < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * TASKS_PER_THREAD);
        Scratch in = Scratch.acquire(x, cols);
        try {
            ComputePool.forEach(tasks, t -> {
                int from = (int) ((long) rows * t / tasks), to = (int) ((long) rows * (t + 1) / tasks);
                part(x, in, w0, b0, o0, from, to, 0);
                if (w1 != null) part(x, in, w1, b1, o1, from, to, r0);
                if (w2 != null) part(x, in, w2, b2, o2, from, to, r0 + r1);
            });
        } finally {
            in.busy = false;
        }
    }

    /**
     * SwiGLU's first half: {@code up = U · x}, {@code gate = silu(G · x) ⊙ up}. Each task takes the same rows of both
     * matrices and applies the activation to them, so no serial pass over the result follows.
     */
    static void swiGlu(float[] x, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        int rows = gate.rows(), cols = gate.cols();
        int tasks = 2L * rows * cols < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * TASKS_PER_THREAD);
        Scratch in = Scratch.acquire(x, cols);
        try {
            ComputePool.forEach(tasks, t -> {
                int from = (int) ((long) rows * t / tasks), to = (int) ((long) rows * (t + 1) / tasks);
                rows(x, in, gate, null, gateOut, from, to);
                rows(x, in, up, null, upOut, from, to);
                VectorKernels.siluMul(gateOut, upOut, from, to);
            });
        } finally {
            in.busy = false;
        }
    }

    /** The rows of {@code w} (global rows {@code first ..}) that fall in the global range {@code [from, to)}. */
    private static void part(float[] x, Scratch in, Matrix w, float[] bias, float[] out, int from, int to, int first) {
        int lo = Math.max(from, first) - first, hi = Math.min(to, first + w.rows()) - first;
        if (lo < hi) rows(x, in, w, bias, out, lo, hi);
    }

    private static void rows(float[] x, Scratch in, Matrix w, float[] bias, float[] out, int from, int to) {
        int cols = w.cols();
        if (w.dtype() == DType.BF16) {
            bf16Rows(in, w, out, from, to);
            if (bias != null) for (int r = from; r < to; r++) out[r] += bias[r];
            return;
        }
        float[] row = SCRATCH.get().row(cols);
        for (int r = from; r < to; r++) {
            w.row(r, row, 0);
            float s = VectorKernels.dot(x, 0, row, 0, cols);
            out[r] = bias == null ? s : s + bias[r];
        }
    }

    /**
     * {@code out[r] = W[r] · x} for bf16 rows {@code [from, to)}: the range is cut into {@link VectorKernels#ROW_STREAMS}
     * equal stretches read side by side (row {@code r}, {@code r + q}, {@code r + 2q}, ...), the rows left over one by one.
     */
    private static void bf16Rows(Scratch in, Matrix w, float[] out, int from, int to) {
        int cols = w.cols(), streams = VectorKernels.ROW_STREAMS;
        long rowBytes = 2L * cols;
        int q = (to - from) / streams;
        for (int r = from; r < from + q; r++) {
            VectorKernels.dotBf16Rows(w.data(), r * rowBytes, q * rowBytes, in.even, in.odd, cols, out, r, q);
        }
        for (int r = from + streams * q; r < to; r++) {
            out[r] = VectorKernels.dotBf16Pairs(w.data(), r * rowBytes, in.even, in.odd, cols);
        }
    }

    /** Reusable per-thread buffers, so that a decode step allocates nothing here. */
    private static final class Scratch {
        float[] even = new float[0];
        float[] odd = new float[0];
        private float[] row = new float[0];
        /** Set while a call on this thread uses {@link #even}/{@link #odd} (a nested call then takes fresh ones). */
        boolean busy;

        /** This thread's scratch (or a fresh one while it is in use) holding {@code x[0..cols)} de-interleaved. */
        static Scratch acquire(float[] x, int cols) {
            Scratch s = SCRATCH.get();
            if (s.busy) s = new Scratch();
            s.busy = true;
            int half = (cols + 1) / 2;
            if (s.even.length < half) {
                s.even = new float[half];
                s.odd = new float[half];
            }
            VectorKernels.deinterleave(x, 0, cols, s.even, s.odd);
            return s;
        }

        float[] row(int cols) {
            if (row.length < cols) row = new float[cols];
            return row;
        }
    }
}
