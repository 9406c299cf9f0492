package qwen2vl4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tiled {@link Gemm}'s arithmetic for a few input rows, without its packing of the weights: every output is the
 * same float as {@link Gemm#run} gives it. Per output, as there: one multiply-add chain along k within each block of
 * {@link Gemm#KC} columns, starting from 0; the blocks' sums added in order to an accumulator that starts at 0; the
 * bias added last. Only the lanes differ: here a vector holds one weight value against {@code L} input rows (the
 * inputs transposed once per call, the weight values broadcast), where the GEMM's micro-kernel holds one input value
 * against a tile of weight rows, which it must widen and transpose for every call. For a prompt of a few tokens that
 * transposition cost more than the products, so {@link JavaBackend#rowStableGemm} takes this up to {@link #MAX_ROWS}
 * rows and stays row-stable.
 *
 * <p>Measured at the real geometry (bf16, 2-core Zen 3, {@code bench --only prefill --prompt-tokens N}, two rounds):
 * 16 tokens 31.5–32.4 tok/s, where the tiled GEMM ran 13.7–15.1 and the few-row kernel of a decode step
 * ({@link FewRows}) 24.1–26.0; 32 tokens 30.7–33.5 against 21.3–24.1 and 23.1–26.3. From 48 tokens on the GEMM is
 * as fast or faster (64: 27.5 against 30.6–30.9). A batched decode step of 4 or 8 rows stays on {@link FewRows}
 * (8.1 and 15.2 tok/s this way against 12.9 and 17.0): with fewer rows than a group's lanes most of them idle.
 */
final class GemmFewRows {
    /** Input rows up to which this runs instead of the tiled GEMM. */
    static final int MAX_ROWS = 32;
    /** Weight rows per step, sharing each load of the transposed inputs. */
    private static final int WR = 4;
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = VectorKernels.L;
    /** Input rows per group: two vectors. */
    private static final int G = 2 * L;
    private static final int KC = Gemm.KC;
    /** Multiply-adds below which a call stays on the calling thread. */
    private static final long SERIAL_WORK = 1L << 16;
    /** Per thread: {@link #WR} weight rows widened to float32. */
    private static final ThreadLocal<float[][]> WIDENED = ThreadLocal.withInitial(() -> new float[1][0]);

    private GemmFewRows() {}

    /** {@code out[n, w.rows()] = x[n, w.cols()] · Wᵀ + bias} (bias may be null), equal to {@link Gemm#run}'s, split across the pool. */
    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols(), groups = (n + G - 1) / G, width = groups * G;
        float[] xT = new float[Math.multiplyExact(cols, width)];          // [cols, width]: xT[k·width + i] = x[i·cols + k]
        for (int i = 0; i < n; i++) {
            for (int k = 0, src = i * cols; k < cols; k++) xT[k * width + i] = x[src + k];
        }
        int steps = (rows + WR - 1) / WR;
        int tasks = (long) n * rows * cols < SERIAL_WORK ? 1 : Math.min(steps, ComputePool.threads() * 8);
        ComputePool.forEachRange(steps, tasks, (s0, s1) -> rows(xT, width, n, w, bias, out, s0 * WR, Math.min(rows, s1 * WR)));
    }

    /** Weight rows {@code [from, to)} against every input row. */
    private static void rows(float[] xT, int width, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int cols = w.cols(), outStride = w.rows();
        float[][] holder = WIDENED.get();
        if (holder[0].length < WR * cols) holder[0] = new float[WR * cols];
        float[] wr = holder[0];
        float[] sums = new float[WR * G];
        int j = from;
        for (; j + WR <= to; j += WR) {
            for (int r = 0; r < WR; r++) Gemm.widen(w, j + r, 0, cols, wr, r * cols);
            for (int g0 = 0; g0 < n; g0 += G) {
                four(xT, width, g0, wr, cols, sums);
                for (int r = 0; r < WR; r++) store(sums, r * G, n, g0, bias, j + r, out, outStride);
            }
        }
        for (; j < to; j++) {
            Gemm.widen(w, j, 0, cols, wr, 0);
            for (int g0 = 0; g0 < n; g0 += G) {
                one(xT, width, g0, wr, cols, sums);
                store(sums, 0, n, g0, bias, j, out, outStride);
            }
        }
    }

    /** The sums of weight rows {@code wr[0..3]} against input rows {@code [g0, g0 + G)}: {@code sums[r·G + i]}. */
    private static void four(float[] xT, int width, int g0, float[] wr, int cols, float[] sums) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int w1 = cols, w2 = 2 * cols, w3 = 3 * cols;
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int k1 = Math.min(cols, k0 + KC);
            FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            for (int k = k0; k < k1; k++) {
                int p = k * width + g0;
                FloatVector x0 = FloatVector.fromArray(F, xT, p), x1 = FloatVector.fromArray(F, xT, p + L);
                FloatVector b0 = FloatVector.broadcast(F, wr[k]);
                c00 = x0.fma(b0, c00);
                c01 = x1.fma(b0, c01);
                FloatVector b1 = FloatVector.broadcast(F, wr[w1 + k]);
                c10 = x0.fma(b1, c10);
                c11 = x1.fma(b1, c11);
                FloatVector b2 = FloatVector.broadcast(F, wr[w2 + k]);
                c20 = x0.fma(b2, c20);
                c21 = x1.fma(b2, c21);
                FloatVector b3 = FloatVector.broadcast(F, wr[w3 + k]);
                c30 = x0.fma(b3, c30);
                c31 = x1.fma(b3, c31);
            }
            a00 = c00.add(a00);                                 // as the micro-kernel adds a block into the accumulator
            a01 = c01.add(a01);
            a10 = c10.add(a10);
            a11 = c11.add(a11);
            a20 = c20.add(a20);
            a21 = c21.add(a21);
            a30 = c30.add(a30);
            a31 = c31.add(a31);
        }
        a00.intoArray(sums, 0);
        a01.intoArray(sums, L);
        a10.intoArray(sums, G);
        a11.intoArray(sums, G + L);
        a20.intoArray(sums, 2 * G);
        a21.intoArray(sums, 2 * G + L);
        a30.intoArray(sums, 3 * G);
        a31.intoArray(sums, 3 * G + L);
    }

    /** {@link #four} for one weight row. */
    private static void one(float[] xT, int width, int g0, float[] wr, int cols, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int k1 = Math.min(cols, k0 + KC);
            FloatVector c0 = FloatVector.zero(F), c1 = c0;
            for (int k = k0; k < k1; k++) {
                int p = k * width + g0;
                FloatVector b = FloatVector.broadcast(F, wr[k]);
                c0 = FloatVector.fromArray(F, xT, p).fma(b, c0);
                c1 = FloatVector.fromArray(F, xT, p + L).fma(b, c1);
            }
            a0 = c0.add(a0);
            a1 = c1.add(a1);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, L);
    }

    /** Output column {@code j} of input rows {@code [g0, min(n, g0 + G))} from {@code sums[at ..]}, the bias added last. */
    private static void store(float[] sums, int at, int n, int g0, float[] bias, int j, float[] out, int outStride) {
        int end = Math.min(n, g0 + G);
        for (int i = g0; i < end; i++) {
            float s = sums[at + i - g0];
            out[i * outStride + j] = bias == null ? s : s + bias[j];
        }
    }
}
