package qwen2vl4j.cli.bench;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.Matrix;

/**
 * The naive quantized matrix-vector product, kept only as the baseline that {@code quant-bench}
 * measures the integer kernels against: every Q8_0 or Q4_0 weight widened int8 → f32 and multiplied
 * with the float activations (no activation rounding), one weight row per pass, per block a vector sum
 * scaled by the block's f16 scale in one FMA. Written once for any width ({@link QuantBaseline#BITS};
 * without vectors the plain-Java twin {@link #dotScalar} runs); rows are split across the pool as in
 * {@link qwen2vl4j.kernels.QuantGemv}. Same contract as {@link qwen2vl4j.kernels.MatMul#matmul}.
 */
final class QuantWidening {
    private static final int BLOCK = QuantBaseline.BLOCK;
    private static final int HALF = BLOCK / 2;
    private static final int Q8 = 34;
    private static final int Q4 = 18;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(128, QuantBaseline.BITS)));
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int FL = F.length();
    /**
     * The byte loads: one per float vector, of {@code FL} bytes, but at least 8 (the smallest byte
     * vector); at 128 bits an 8-byte load of which the first 4 are widened.
     */
    private static final VectorSpecies<Byte> BF = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * Math.max(8, FL)));
    /** Bytes a load of {@link #BF} reads past the ones it widens: 4 at 128 bits, else 0. */
    private static final int OVERREAD = BF.length() - FL;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private QuantWidening() {}

    /** {@code out = x · Wᵀ + bias} for {@code n} input rows of a Q8_0 or Q4_0 matrix. */
    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (!w.dtype().isQuantized()) throw new IllegalArgumentException("matrix " + w.name() + " is " + w.dtype() + ", not block-quantized");
        int rows = w.rows();
        int tasks = QuantBaseline.tasks(rows, (long) rows * w.cols() * n);
        ComputePool.forEach(tasks, t -> rows(x, n, w, bias, out, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    private static void rows(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        for (int r = from; r < to; r++) {
            for (int i = 0; i < n; i++) {
                float s = dot(w, r, x, i * cols);
                out[i * rows + r] = bias == null ? s : s + bias[r];
            }
        }
    }

    /** Row {@code r} of the Q8_0 or Q4_0 matrix {@code w} widened to f32, dotted with {@code x[xo .. xo+cols)}. */
    static float dot(Matrix w, int r, float[] x, int xo) {
        if (!QuantBaseline.VECTOR) return dotScalar(w, r, 0, x, xo);
        return w.dtype() == DType.Q8_0 ? dotQ8(w, r, x, xo) : dotQ4(w, r, x, xo);
    }

    /**
     * The plain-Java twin of {@link #dot} from block {@code fromBlock} on: each block dequantized
     * ({@link Matrix#row(int, int, int, float[], int)}) and its 32 products added in order to one float sum.
     */
    static float dotScalar(Matrix w, int r, int fromBlock, float[] x, int xo) {
        float[] row = new float[BLOCK];
        float s = 0;
        for (int c = fromBlock * BLOCK; c < w.cols(); c += BLOCK) {
            w.row(r, c, BLOCK, row, 0);
            for (int j = 0; j < BLOCK; j++) s += row[j] * x[xo + c + j];
        }
        return s;
    }

    private static float dotQ8(Matrix m, int r, float[] x, int xo) {
        MemorySegment w = m.data();
        long off = m.rowOffset(r);
        int blocks = m.cols() / BLOCK, vb = vectorBlocks(w, off, blocks, Q8);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < vb; b++, off += Q8) {
            FloatVector t = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += FL) t = widen(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xo + b * BLOCK + j), t);
            acc = t.fma(FloatVector.broadcast(F, scale(w, off)), acc);
        }
        float tail = vb < blocks ? dotScalar(m, r, vb, x, xo) : 0f;
        return acc.reduceLanes(ADD) + tail;
    }

    private static float dotQ4(Matrix m, int r, float[] x, int xo) {
        MemorySegment w = m.data();
        long off = m.rowOffset(r);
        int blocks = m.cols() / BLOCK, vb = vectorBlocks(w, off, blocks, Q4);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < vb; b++) {
            FloatVector t = FloatVector.zero(F);
            long quants = QuantBaseline.quants(off, blocks, b);
            for (int j = 0; j < HALF; j += FL) {
                IntVector q = widenToInts(w, quants + j);
                int at = xo + b * BLOCK + j;
                t = ((FloatVector) q.and(0xF).sub(8).convert(I2F, 0)).fma(FloatVector.fromArray(F, x, at), t);
                t = ((FloatVector) q.lanewise(LSHR, 4).and(0xF).sub(8).convert(I2F, 0)).fma(FloatVector.fromArray(F, x, at + HALF), t);
            }
            acc = t.fma(FloatVector.broadcast(F, scale(w, off + 2L * b)), acc);
        }
        float tail = vb < blocks ? dotScalar(m, r, vb, x, xo) : 0f;
        return acc.reduceLanes(ADD) + tail;
    }

    /**
     * How many of the {@code blocks} blocks at {@code off} are read with vectors: all, unless a load's
     * {@link #OVERREAD} would run past the end of the segment, then all but the last (which the scalar twin takes).
     */
    private static int vectorBlocks(MemorySegment w, long off, int blocks, int blockBytes) {
        return OVERREAD > 0 && blocks > 0 && off + (long) blocks * blockBytes + OVERREAD > w.byteSize() ? blocks - 1 : blocks;
    }

    /** The f16 scale of the block at {@code off}. */
    private static float scale(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(SHORT_LE, off));
    }

    /** {@code FL} bytes at {@code at}, sign-extended to floats. */
    private static FloatVector widen(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(BF, w, at, ByteOrder.LITTLE_ENDIAN).convertShape(B2F, F, 0);
    }

    /** {@code FL} bytes at {@code at}, sign-extended to ints (a Q4_0 byte's nibbles are masked off afterwards). */
    private static IntVector widenToInts(MemorySegment w, long at) {
        return (IntVector) ByteVector.fromMemorySegment(BF, w, at, ByteOrder.LITTLE_ENDIAN).convertShape(B2I, I, 0);
    }
}
