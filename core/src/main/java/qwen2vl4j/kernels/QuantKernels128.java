package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 128-bit form of the integer dot products of {@link QuantKernels} (4 float lanes, 8 short lanes),
 * for SSE and Arm NEON. Q8_0: a block is four vectors of 8 shorts (its 8-byte quarters sign-extended),
 * each multiplied by its quarter of the activation; quarters 0+1 and 2+3 are added in 16 bits
 * (|sum| ≤ 2·127² fits a short), each sum's lane pairs are widened to exact 32-bit sums
 * ({@link QuantKernels#pairSums}) and added, and the 4 integer lanes are converted to float once and
 * scaled by {@code d_w·d_a} in one FMA per block. Q4_0: a block's 16 bytes are two vectors of 8 shorts
 * (zero-extended halves); low nibbles multiply the activation's first 16 values and high nibbles its
 * last 16 ({@link QuantKernelsScalar.Q4Order#NATURAL} order); the two halves' products are added in 16
 * bits (≤ 4·15·127) and {@link QuantKernels#shiftedPairSums} adds neighbours (≤ 8·15·127 still fits
 * 16 bits) times 2¹⁶.
 */
final class QuantKernels128 {
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int HALF = BLOCK / 2;
    /** Shorts per vector: a quarter of a block. */
    private static final int QUARTER = BLOCK / 4;
    private static final int Q8 = 34;
    private static final int Q4 = 18;
    /** Undoes the 2¹⁶ of {@link QuantKernels#shiftedPairSums} (a power of two: exact). */
    private static final float UNSHIFT = 1f / 65536;

    private QuantKernels128() {}

    /** 128-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row, two accumulators. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F128), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            int at = qo + b * BLOCK;
            acc0 = blockQ8(w, off, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), da[dOff + b], acc0);
            at += BLOCK;
            acc1 = blockQ8(w, off + Q8, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), da[dOff + b + 1], acc1);
        }
        if (b < blocks) {
            int at = qo + b * BLOCK;
            acc0 = blockQ8(w, off, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), da[dOff + b], acc0);
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    /** Two Q8_0 weight rows against one activation row, as {@link QuantKernels#dotQ8x2}. */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F128), acc1 = acc0;
        for (int b = 0; b < blocks; b++, off0 += Q8, off1 += Q8) {
            int at = qo + b * BLOCK;
            ShortVector x0 = x(qa, at, 0), x1 = x(qa, at, 1), x2 = x(qa, at, 2), x3 = x(qa, at, 3);
            float d = da[dOff + b];
            acc0 = blockQ8(w, off0, x0, x1, x2, x3, d, acc0);
            acc1 = blockQ8(w, off1, x0, x1, x2, x3, d, acc1);
        }
        out[o] = acc0.reduceLanes(ADD);
        out[o + 1] = acc1.reduceLanes(ADD);
    }

    /** Quarter {@code k} of the activation block at {@code qa[at..]}. */
    private static ShortVector x(short[] qa, int at, int k) {
        return ShortVector.fromArray(S128, qa, at + k * QUARTER);
    }

    /** Quarter {@code k} of the Q8_0 block at {@code off}, sign-extended to shorts. */
    private static ShortVector q8(MemorySegment w, long off, int k) {
        return (ShortVector) ByteVector.fromMemorySegment(B64, w, off + 2 + k * QUARTER, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S128, 0);
    }

    /** {@code acc + d_w·d_a · (the block at off times [x0 | x1 | x2 | x3], as 4 exact integer sums of 8 products)}. */
    private static FloatVector blockQ8(MemorySegment w, long off, ShortVector x0, ShortVector x1, ShortVector x2, ShortVector x3, float da,
                                       FloatVector acc) {
        ShortVector s01 = q8(w, off, 0).mul(x0).add(q8(w, off, 1).mul(x1));
        ShortVector s23 = q8(w, off, 2).mul(x2).add(q8(w, off, 3).mul(x3));
        IntVector sums = QuantKernels.pairSums(s01).add(QuantKernels.pairSums(s23));
        return ((FloatVector) sums.convert(I2F, 0)).fma(FloatVector.broadcast(F128, QuantKernels.scale(w, off) * da), acc);
    }

    /** 128-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code NATURAL} order): one weight row, two accumulators. */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F128), acc1 = acc0;
        float c = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q4) {
            int at = qo + b * BLOCK;
            float s0 = QuantKernels.scale(w, off) * da[dOff + b], s1 = QuantKernels.scale(w, off + Q4) * da[dOff + b + 1];
            acc0 = blockQ4(w, off, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), s0, acc0);
            at += BLOCK;
            acc1 = blockQ4(w, off + Q4, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), s1, acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < blocks) {
            int at = qo + b * BLOCK;
            float s0 = QuantKernels.scale(w, off) * da[dOff + b];
            acc0 = blockQ4(w, off, x(qa, at, 0), x(qa, at, 1), x(qa, at, 2), x(qa, at, 3), s0, acc0);
            c += s0 * corr[dOff + b];
        }
        return acc0.add(acc1).reduceLanes(ADD) * UNSHIFT + c;
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F128), acc1 = acc0;
        float c0 = 0, c1 = 0;
        for (int b = 0; b < blocks; b++, off0 += Q4, off1 += Q4) {
            int at = qo + b * BLOCK;
            ShortVector x0 = x(qa, at, 0), x1 = x(qa, at, 1), x2 = x(qa, at, 2), x3 = x(qa, at, 3);
            float d = da[dOff + b], k = corr[dOff + b];
            float s0 = QuantKernels.scale(w, off0) * d, s1 = QuantKernels.scale(w, off1) * d;
            acc0 = blockQ4(w, off0, x0, x1, x2, x3, s0, acc0);
            acc1 = blockQ4(w, off1, x0, x1, x2, x3, s1, acc1);
            c0 += s0 * k;
            c1 += s1 * k;
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT + c0;
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT + c1;
    }

    /**
     * {@code acc + 2¹⁶·s · (pair sums of the block at off)}: bytes 0–7 hold values 0–7 (low nibbles,
     * times {@code x0}) and 16–23 (high nibbles, times {@code x2}), bytes 8–15 values 8–15 and 24–31.
     */
    private static FloatVector blockQ4(MemorySegment w, long off, ShortVector x0, ShortVector x1, ShortVector x2, ShortVector x3, float s,
                                       FloatVector acc) {
        ShortVector a = (ShortVector) ByteVector.fromMemorySegment(B64, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(ZERO_EXTEND_B2S, S128, 0);
        ShortVector b = (ShortVector) ByteVector.fromMemorySegment(B64, w, off + 2 + QUARTER, ByteOrder.LITTLE_ENDIAN)
                .convertShape(ZERO_EXTEND_B2S, S128, 0);
        ShortVector products = a.and((short) 0xF).mul(x0).add(a.lanewise(LSHR, 4).mul(x2))
                .add(b.and((short) 0xF).mul(x1)).add(b.lanewise(LSHR, 4).mul(x3));
        return ((FloatVector) QuantKernels.shiftedPairSums(products).convert(I2F, 0)).fma(FloatVector.broadcast(F128, s), acc);
    }
}
