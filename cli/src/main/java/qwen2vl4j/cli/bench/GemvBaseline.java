package qwen2vl4j.cli.bench;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.Matrix;
import jdk.incubator.vector.VectorShape;
import qwen2vl4j.io.DType;

/**
 * The first matrix-vector kernel, kept as the benchmark's GEMV baseline: each weight row is widened once and dotted
 * with every input row, rows split across the pool; a bf16 row with one input row is read straight from the mapped
 * file. Same contract as {@link qwen2vl4j.kernels.MatMul#matmul}.
 */
final class GemvBaseline {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final java.lang.foreign.ValueLayout.OfShort SHORT_LE =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Work below this many multiply-adds stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    private GemvBaseline() {}

    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        int tasks = (long) n * rows * w.cols() < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * 8);
        ComputePool.forEach(tasks, t -> rowRange(x, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void rowRange(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        if (n == 1 && w.dtype() == DType.BF16) {
            for (int r = from; r < to; r++) {
                float s = dotBf16(w.data(), (long) r * cols * 2, x, 0, cols);
                out[r] = s + (bias == null ? 0f : bias[r]);
            }
            return;
        }
        float[] wr = new float[cols];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = dot(x, i * cols, wr, 0, cols) + b;
            }
        }
    }

    /** Σ a[ao+i]·b[bo+i] for i < n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0;
        int bound2 = n - 2 * L;
        for (; i <= bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** Σ bf16(w[wOff + i]) · x[xo+i]: a dot product straight from a mapped bf16 row ({@code wByteOff} in bytes). */
    static float dotBf16(MemorySegment w, long wByteOff, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 4 * L; i += 4 * L) {
            long b = wByteOff + 2L * i;
            acc0 = bf16Lanes(w, b).fma(FloatVector.fromArray(F, x, xo + i), acc0);
            acc1 = bf16Lanes(w, b + 2L * L).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
            acc2 = bf16Lanes(w, b + 4L * L).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), acc2);
            acc3 = bf16Lanes(w, b + 6L * L).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), acc3);
        }
        for (; i <= n - L; i += L) {
            acc0 = bf16Lanes(w, wByteOff + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
        }
        float s = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += Float.intBitsToFloat((w.get(SHORT_LE, wByteOff + 2L * i) & 0xFFFF) << 16) * x[xo + i];
        }
        return s;
    }

    private static FloatVector bf16Lanes(MemorySegment w, long byteOff) {
        ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, ByteOrder.LITTLE_ENDIAN);
        IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
