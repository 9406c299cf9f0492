package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import qwen2vl4j.io.DType;

/**
 * The matrix-vector product for block-quantized weights ({@code out[n, rows] = x · Wᵀ + bias} for a
 * few input rows): each input row is quantized to 8 bits per block once, then every weight row is
 * dotted with it in integer arithmetic ({@link QuantKernels}). Weight rows are split into a few long
 * contiguous ranges across the {@link ComputePool}, as in {@link Gemv}. The activation buffers are
 * per calling thread and reused, so a decode step allocates nothing but the pool's task objects.
 */
public final class QuantGemv {
    /**
     * Tasks per pool thread: few and long, so every thread reads long sequential stretches. The first task of each
     * thread is large ({@link #BULK} of the rows shared among them), the others small, so a thread that finishes first
     * takes more of them and the threads end a call together ({@link #taskStart}). In a harness of the 28 layers' MLP
     * products (2-core Zen 3, 256 bits) the fastest of 30 passes did not change, the mean went 2–5% down in Q4_0 and
     * Q8_0: on a shared machine one core is now and then slower than the other.
     */
    private static final int TASKS_PER_THREAD = 3;
    /** The share of a call's rows in the first, large task of each thread. */
    private static final double BULK = 0.75;

    /** Per calling thread: the quantized activation rows (shorts, scales, Q4 corrections). */
    private static final ThreadLocal<Activation> ACTIVATION = ThreadLocal.withInitial(Activation::new);

    private QuantGemv() {}

    /**
     * Which dot product runs: the integer kernels or their scalar twins. (The benchmark's older variants,
     * the first integer kernels and the naive float widening, live with it in {@code qwen2vl4j.cli.bench}.)
     */
    public enum Kernel {
        /** Activations quantized to Q8, integer products per block, two weight rows per pass (the default). */
        INTEGER,
        /** {@link QuantKernelsScalar}: the reference the tests compare against. */
        SCALAR
    }

    private static final class Activation {
        short[] q = new short[0];
        float[] d = new float[0];
        float[] corr = new float[0];

        void fit(int values) {
            if (q.length < values) {
                q = new short[values];
                d = new float[values / QuantKernelsScalar.BLOCK];
                corr = new float[values / QuantKernelsScalar.BLOCK];
            }
        }
    }

    /** {@code out = x · Wᵀ + bias} for {@code n} input rows with the default kernel; same contract as {@link MatMul#matmul}. */
    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        run(x, n, w, bias, out, defaultKernel());
    }

    /**
     * {@code out = x · Wᵀ + bias} for {@code n} input rows of a Q8_0 or Q4_0 matrix with the chosen kernel
     * (the benchmark compares them); same contract as {@link MatMul#matmul}.
     */
    public static void run(float[] x, int n, Matrix w, float[] bias, float[] out, Kernel kernel) {
        run(x, n, new Matrix[] {w}, new float[][] {bias}, new float[][] {out}, kernel);
    }

    /**
     * {@code out[k] = x · w[k]ᵀ + bias[k]} for matrices of one quantized type and width that share their input (q/k/v
     * of an attention layer), for {@code n} input rows with the default kernel: the input is quantized once and the
     * matrices' rows, one after another, are split across the pool as one range, so the small k and v projections
     * cost no hand-off of their own. {@link #fusable} says which matrices qualify.
     */
    static void run(float[] x, int n, Matrix[] w, float[][] bias, float[][] out) {
        run(x, n, w, bias, out, defaultKernel());
    }

    private static void run(float[] x, int n, Matrix[] w, float[][] bias, float[][] out, Kernel kernel) {
        int[] first = new int[w.length + 1];
        for (int k = 0; k < w.length; k++) {
            DType type = w[k].dtype();
            if (!type.isQuantized()) throw new IllegalArgumentException("matrix " + w[k].name() + " is " + type + ", not block-quantized");
            if (type != w[0].dtype() || w[k].cols() != w[0].cols()) {
                throw new IllegalArgumentException("matrices sharing one quantized input must match: " + w[k].name() + " is " + type + " ["
                        + w[k].rows() + ", " + w[k].cols() + "], " + w[0].name() + " " + w[0].dtype() + " [" + w[0].rows() + ", " + w[0].cols() + "]");
            }
            MatMul.checkSizes(x, n, w[k], bias[k], out[k]);
            first[k + 1] = first[k] + w[k].rows();
        }
        int rows = first[w.length];
        Activation a = quantized(x, n, w[0].dtype(), w[0].cols(), kernel);
        int threads = ComputePool.threads(), tasks = tasks(rows, (long) rows * w[0].cols() * n, threads);
        ComputePool.forEach(tasks, t -> {
            int from = taskStart(rows, t, tasks, threads), to = taskStart(rows, t + 1, tasks, threads);
            for (int k = 0; k < w.length; k++) {
                int lo = Math.max(from, first[k]) - first[k], hi = Math.min(to, first[k + 1]) - first[k];
                if (lo < hi) rows(n, w[k], bias[k], out[k], a.q, a.d, a.corr, kernel, lo, hi);
            }
        });
    }

    /**
     * SwiGLU's first half over quantized {@code gate} and {@code up} of one type and shape ({@link #fusable}), for
     * {@code n} input rows: {@code upOut = x · Uᵀ}, {@code gateOut = silu(x · Gᵀ) ⊙ upOut}, the input quantized once
     * and each task taking the same rows of both matrices and applying the activation to them (as {@link Gemv#swiGlu}).
     */
    static void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        MatMul.checkSizes(x, n, gate, null, gateOut);
        MatMul.checkSizes(x, n, up, null, upOut); // and the same rows: MatMul.swiGlu checked them
        Kernel kernel = defaultKernel();
        int rows = gate.rows();
        Activation a = quantized(x, n, gate.dtype(), gate.cols(), kernel);
        int threads = ComputePool.threads(), tasks = tasks(rows, 2L * rows * gate.cols() * n, threads);
        ComputePool.forEach(tasks, t -> {
            int from = taskStart(rows, t, tasks, threads), to = taskStart(rows, t + 1, tasks, threads);
            rows(n, gate, null, gateOut, a.q, a.d, a.corr, kernel, from, to);
            rows(n, up, null, upOut, a.q, a.d, a.corr, kernel, from, to);
            for (int i = 0; i < n; i++) VectorKernels.siluMul(gateOut, upOut, i * rows + from, i * rows + to);
        });
    }

    /** Whether {@link #run(float[], int, Matrix[], float[][], float[][])} and {@link #swiGlu} take these matrices: one quantized type, one width. */
    static boolean fusable(Matrix... w) {
        for (Matrix m : w) {
            if (!m.dtype().isQuantized() || m.dtype() != w[0].dtype() || m.cols() != w[0].cols()) return false;
        }
        return true;
    }

    private static Kernel defaultKernel() {
        return QuantKernels.VECTOR ? Kernel.INTEGER : Kernel.SCALAR;
    }

    /** The pool tasks for {@code rows} weight rows and {@code work} multiply-adds on {@code threads}: few and long, one when small. */
    private static int tasks(int rows, long work, int threads) {
        return work < Gemv.PARALLEL_THRESHOLD ? 1 : Math.min(rows, threads * TASKS_PER_THREAD);
    }

    /**
     * The first row of task {@code t} of {@code tasks} split across {@code threads} ({@code taskStart(rows, tasks, tasks,
     * threads) == rows}): with one task per thread or fewer, equal consecutive ranges; with more, the first task of each
     * thread (claimed first) shares {@link #BULK} of the rows with the others' first tasks and the remaining tasks split
     * the rest in equal smaller ranges.
     */
    static int taskStart(int rows, int t, int tasks, int threads) {
        if (tasks <= threads) return (int) ((long) rows * t / tasks);
        int bulk = (int) (rows * BULK);
        return t <= threads ? (int) ((long) bulk * t / threads) : bulk + (int) ((long) (rows - bulk) * (t - threads) / (tasks - threads));
    }

    /** The {@code n} rows of {@code x} ({@code cols} wide) quantized for {@code type} and {@code kernel}, in this thread's buffers. */
    private static Activation quantized(float[] x, int n, DType type, int cols, Kernel kernel) {
        int blocks = cols / QuantKernelsScalar.BLOCK;
        Activation a = ACTIVATION.get();
        a.fit(n * cols);
        QuantKernelsScalar.Q4Order order = q4Order(kernel);
        for (int i = 0; i < n; i++) {
            QuantKernels.quantizeActivation(type, order, x, i * cols, cols, a.q, i * cols, a.d, a.corr, i * blocks);
        }
        return a;
    }

    /** The order in which {@code kernel} reads a Q4_0 activation row. */
    static QuantKernelsScalar.Q4Order q4Order(Kernel kernel) {
        return switch (kernel) {
            case INTEGER -> QuantKernels.Q4_ORDER;
            case SCALAR -> QuantKernelsScalar.Q4Order.NATURAL;
        };
    }

    /**
     * Quantizes the activation row {@code x[xo .. xo+n)} ({@code n} a multiple of 32) as the kernels
     * here do, in the natural order: per block {@code b} of 32, {@code da[dOff + b] = max|x| / 127} and
     * value {@code j} as the short {@code round(x / d)} (−127..127, halves away from zero) at
     * {@code qa[qo + 32·b + j]}; for {@link DType#Q4_0} also {@code corr[dOff + b] = −8 · Σ q} (the
     * weights' offset of 8, applied once per block; unused and may be null for Q8_0). Public for the
     * benchmark's older kernels ({@code qwen2vl4j.cli.bench}), which reorder the shorts as they read them;
     * the engine itself quantizes inside {@link #run}.
     */
    public static void quantizeActivation(DType type, float[] x, int xo, int n, short[] qa, int qo, float[] da, float[] corr, int dOff) {
        if (!type.isQuantized()) throw new IllegalArgumentException(type + " is not a block-quantized type");
        QuantKernelsScalar.quantizeActivation(type, QuantKernelsScalar.Q4Order.NATURAL, x, xo, n, qa, qo, da, corr, dOff);
    }

    /**
     * Rows {@code [from, to)} against all input rows. Each kernel has its own loop so that the JIT inlines
     * exactly one dot product into it (the Vector API is only fast when fully inlined).
     */
    private static void rows(int n, Matrix w, float[] bias, float[] out, short[] q, float[] d, float[] corr, Kernel kernel, int from, int to) {
        switch (kernel) {
            case INTEGER -> {
                if (w.dtype() == DType.Q8_0) rowsQ8(n, w, bias, out, q, d, from, to);
                else rowsQ4(n, w, bias, out, q, d, corr, from, to);
            }
            case SCALAR -> rowsScalar(n, w, bias, out, q, d, corr, from, to);
        }
    }

    /**
     * Rows {@code [from, to)} two at a time ({@link QuantKernels#dotQ8x2}), each row of the range's first half with
     * its twin in the second half, an odd last row alone. Two rows far apart are two streams from memory, where two
     * neighbours are one: with the two-row Q4_0 kernel that reads its rows side by side, this took a
     * [8960x1536] product from 0.83 to 0.64 ms on a 2-core Zen 3 at 256 bits (2.6 ns per block on a core, as fast
     * as from the cache), where the prefetchers had kept one stream per core short of the bandwidth.
     */
    private static void rowsQ8(int n, Matrix w, float[] bias, float[] out, short[] q, float[] d, int from, int to) {
        int rows = w.rows(), cols = w.cols(), blocks = cols / QuantKernelsScalar.BLOCK;
        MemorySegment data = w.data();
        int half = (to - from) / 2;
        float[] pair = new float[2];
        for (int k = 0; k < half; k++) {
            int r0 = from + k, r1 = from + half + k;
            long off0 = w.rowOffset(r0), off1 = w.rowOffset(r1);
            for (int i = 0; i < n; i++) {
                QuantKernels.dotQ8x2(data, off0, off1, q, i * cols, d, i * blocks, blocks, pair, 0);
                out[i * rows + r0] = pair[0] + (bias == null ? 0f : bias[r0]);
                out[i * rows + r1] = pair[1] + (bias == null ? 0f : bias[r1]);
            }
        }
        if (2 * half < to - from) {
            int r = to - 1;
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = QuantKernels.dotQ8(data, w.rowOffset(r), q, i * cols, d, i * blocks, blocks) + (bias == null ? 0f : bias[r]);
            }
        }
    }

    /** Rows {@code [from, to)} as {@link #rowsQ8}, with {@link QuantKernels#dotQ4x2}. */
    private static void rowsQ4(int n, Matrix w, float[] bias, float[] out, short[] q, float[] d, float[] corr, int from, int to) {
        int rows = w.rows(), cols = w.cols(), blocks = cols / QuantKernelsScalar.BLOCK;
        MemorySegment data = w.data();
        int half = (to - from) / 2;
        float[] pair = new float[2], scales = new float[QuantKernels.q4Scratch(blocks)];
        for (int k = 0; k < half; k++) {
            int r0 = from + k, r1 = from + half + k;
            long off0 = w.rowOffset(r0), off1 = w.rowOffset(r1);
            for (int i = 0; i < n; i++) {
                QuantKernels.dotQ4x2(data, off0, off1, q, i * cols, d, corr, i * blocks, blocks, pair, 0, scales);
                out[i * rows + r0] = pair[0] + (bias == null ? 0f : bias[r0]);
                out[i * rows + r1] = pair[1] + (bias == null ? 0f : bias[r1]);
            }
        }
        if (2 * half < to - from) {
            int r = to - 1;
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = QuantKernels.dotQ4(data, w.rowOffset(r), q, i * cols, d, corr, i * blocks, blocks, scales)
                        + (bias == null ? 0f : bias[r]);
            }
        }
    }

    private static void rowsScalar(int n, Matrix w, float[] bias, float[] out, short[] q, float[] d, float[] corr, int from, int to) {
        int rows = w.rows(), cols = w.cols(), blocks = cols / QuantKernelsScalar.BLOCK;
        MemorySegment data = w.data();
        for (int r = from; r < to; r++) {
            long off = w.rowOffset(r);
            for (int i = 0; i < n; i++) {
                float s = w.dtype() == DType.Q8_0
                        ? QuantKernelsScalar.dotQ8(data, off, q, i * cols, d, i * blocks, blocks)
                        : QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.NATURAL, data, off, q, i * cols, d, corr, i * blocks, blocks);
                out[i * rows + r] = bias == null ? s : s + bias[r];
            }
        }
    }
}
