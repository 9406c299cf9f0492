package qwen2vl4j.text;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/**
 * {@code out[n, rows] = x[n, cols] · Wᵀ + bias} for the few rows of a batched decode step: each weight row is
 * widened once and multiplied with four input rows at a time (eight independent accumulators, each weight vector
 * loaded once for the four), where {@link MatMul} runs one dot product per input row. Every output value is
 * computed with the same operations in the same order as {@link MatMul}'s (the two-accumulator dot product of
 * the kernels package), so a row of a batch equals the same row computed alone.
 */
final class BatchMatMul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int ROWS_PER_TASK = 32;
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    private BatchMatMul() {}

    /** As {@link MatMul#matmul}; one input row goes to {@link MatMul} itself. */
    static void matmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        if (n < 2) {
            MatMul.matmul(x, n, w, bias, out);
            return;
        }
        if (x.length < (long) n * cols || out.length < (long) n * rows || (bias != null && bias.length != rows)) {
            throw new IllegalArgumentException("batched matmul with " + w.name() + " [" + rows + ", " + cols + "]: input holds "
                    + x.length + " values for " + n + " rows, output " + out.length + ", bias " + (bias == null ? "none" : bias.length));
        }
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream range = IntStream.range(0, tasks);
        if ((long) n * rows * cols >= PARALLEL_THRESHOLD) range = range.parallel();
        range.forEach(t -> rowRange(x, n, w, bias, out, t * ROWS_PER_TASK, Math.min(rows, (t + 1) * ROWS_PER_TASK)));
    }

    private static void rowRange(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        float[] wr = new float[cols];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            int i = 0;
            for (; i + 4 <= n; i += 4) dot4(x, i * cols, cols, wr, out, rows, r, i, b);
            for (; i < n; i++) out[i * rows + r] = dot(x, i * cols, wr, cols) + b;
        }
    }

    /** Σ x[xo+c]·w[c]: the kernels package's dot product, operation for operation. */
    static float dot(float[] x, int xo, float[] w, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int c = 0;
        for (; c <= n - 2 * L; c += 2 * L) {
            acc0 = FloatVector.fromArray(F, x, xo + c).fma(FloatVector.fromArray(F, w, c), acc0);
            acc1 = FloatVector.fromArray(F, x, xo + c + L).fma(FloatVector.fromArray(F, w, c + L), acc1);
        }
        for (; c <= n - L; c += L) acc0 = FloatVector.fromArray(F, x, xo + c).fma(FloatVector.fromArray(F, w, c), acc0);
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; c < n; c++) s += x[xo + c] * w[c];
        return s;
    }

    /** {@link #dot} for input rows {@code i .. i+3} (at {@code xo}, stride {@code cols}) against one weight row. */
    private static void dot4(float[] x, int xo, int cols, float[] w, float[] out, int rows, int r, int i, float bias) {
        int o0 = xo, o1 = xo + cols, o2 = xo + 2 * cols, o3 = xo + 3 * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        for (; c <= cols - 2 * L; c += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(F, w, c), w1 = FloatVector.fromArray(F, w, c + L);
            a0 = FloatVector.fromArray(F, x, o0 + c).fma(w0, a0);
            b0 = FloatVector.fromArray(F, x, o0 + c + L).fma(w1, b0);
            a1 = FloatVector.fromArray(F, x, o1 + c).fma(w0, a1);
            b1 = FloatVector.fromArray(F, x, o1 + c + L).fma(w1, b1);
            a2 = FloatVector.fromArray(F, x, o2 + c).fma(w0, a2);
            b2 = FloatVector.fromArray(F, x, o2 + c + L).fma(w1, b2);
            a3 = FloatVector.fromArray(F, x, o3 + c).fma(w0, a3);
            b3 = FloatVector.fromArray(F, x, o3 + c + L).fma(w1, b3);
        }
        for (; c <= cols - L; c += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, c);
            a0 = FloatVector.fromArray(F, x, o0 + c).fma(w0, a0);
            a1 = FloatVector.fromArray(F, x, o1 + c).fma(w0, a1);
            a2 = FloatVector.fromArray(F, x, o2 + c).fma(w0, a2);
            a3 = FloatVector.fromArray(F, x, o3 + c).fma(w0, a3);
        }
        float s0 = a0.add(b0).reduceLanes(VectorOperators.ADD), s1 = a1.add(b1).reduceLanes(VectorOperators.ADD);
        float s2 = a2.add(b2).reduceLanes(VectorOperators.ADD), s3 = a3.add(b3).reduceLanes(VectorOperators.ADD);
        for (int t = c; t < cols; t++) {
            s0 += x[o0 + t] * w[t];
            s1 += x[o1 + t] * w[t];
            s2 += x[o2 + t] * w[t];
            s3 += x[o3 + t] * w[t];
        }
        out[i * rows + r] = s0 + bias;
        out[(i + 1) * rows + r] = s1 + bias;
        out[(i + 2) * rows + r] = s2 + bias;
        out[(i + 3) * rows + r] = s3 + bias;
    }
}
