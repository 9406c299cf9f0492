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
 * The 256-bit form of the integer dot products of {@link QuantKernels} (8 float lanes, 16 short lanes),
 * for AVX2. Q8_0: a block is two vectors of 16 shorts (its two 16-byte halves sign-extended), each
 * multiplied by its half of the activation; the two products of a lane are added in 16 bits
 * (|sum| ≤ 2·127² fits a short), and the 8 pairs of lanes into exact 32-bit sums by
 * {@link QuantKernels#pairSums} (≤ 4·127² no longer fits 16 bits), converted to float once and scaled by {@code d_w·d_a} in one FMA per block. Q4_0:
 * a block's 16 bytes zero-extended to 16 shorts are one vector; its low nibbles (values 0–15) multiply
 * the first half of the activation block and its high nibbles (values 16–31) the second, in the
 * natural order ({@link QuantKernelsScalar.Q4Order#NATURAL}); each lane sums its two products
 * (≤ 2·15·127) and {@link QuantKernels#shiftedPairSums} adds neighbours (≤ 4·15·127 still fits 16
 * bits) times 2¹⁶.
 */
final class QuantKernels256 {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int HALF = BLOCK / 2;
    private static final int Q8 = 34;
    private static final int Q4 = 18;
    /** Undoes the 2¹⁶ of {@link QuantKernels#shiftedPairSums} (a power of two: exact). */
    private static final float UNSHIFT = 1f / 65536;

    private QuantKernels256() {}

    /** 256-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row, two accumulators. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            int at = qo + b * BLOCK;
            acc0 = blockQ8(w, off, ShortVector.fromArray(S256, qa, at), ShortVector.fromArray(S256, qa, at + HALF), da[dOff + b], acc0);
            acc1 = blockQ8(w, off + Q8, ShortVector.fromArray(S256, qa, at + BLOCK), ShortVector.fromArray(S256, qa, at + BLOCK + HALF),
                    da[dOff + b + 1], acc1);
        }
        if (b < blocks) {
            int at = qo + b * BLOCK;
            acc0 = blockQ8(w, off, ShortVector.fromArray(S256, qa, at), ShortVector.fromArray(S256, qa, at + HALF), da[dOff + b], acc0);
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    /** Two Q8_0 weight rows against one activation row, as {@link QuantKernels#dotQ8x2}. */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        for (int b = 0; b < blocks; b++, off0 += Q8, off1 += Q8) {
            int at = qo + b * BLOCK;
            ShortVector x0 = ShortVector.fromArray(S256, qa, at), x1 = ShortVector.fromArray(S256, qa, at + HALF);
            float d = da[dOff + b];
            acc0 = blockQ8(w, off0, x0, x1, d, acc0);
            acc1 = blockQ8(w, off1, x0, x1, d, acc1);
        }
        out[o] = acc0.reduceLanes(ADD);
        out[o + 1] = acc1.reduceLanes(ADD);
    }

    /** {@code acc + d_w·d_a · (the block at off times [x0 | x1], as 8 exact integer sums of 4 products)}. */
    private static FloatVector blockQ8(MemorySegment w, long off, ShortVector x0, ShortVector x1, float da, FloatVector acc) {
        ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S256, 0);
        ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, off + 2 + HALF, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S256, 0);
        IntVector sums = QuantKernels.pairSums(q0.mul(x0).add(q1.mul(x1)));
        return ((FloatVector) sums.convert(I2F, 0)).fma(FloatVector.broadcast(F256, QuantKernels.scale(w, off) * da), acc);
    }

    /** 256-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code NATURAL} order): one weight row, two accumulators. */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        float c = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q4) {
            int at = qo + b * BLOCK;
            float s0 = QuantKernels.scale(w, off) * da[dOff + b], s1 = QuantKernels.scale(w, off + Q4) * da[dOff + b + 1];
            acc0 = blockQ4(w, off, ShortVector.fromArray(S256, qa, at), ShortVector.fromArray(S256, qa, at + HALF), s0, acc0);
            acc1 = blockQ4(w, off + Q4, ShortVector.fromArray(S256, qa, at + BLOCK), ShortVector.fromArray(S256, qa, at + BLOCK + HALF), s1, acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < blocks) {
            int at = qo + b * BLOCK;
            float s0 = QuantKernels.scale(w, off) * da[dOff + b];
            acc0 = blockQ4(w, off, ShortVector.fromArray(S256, qa, at), ShortVector.fromArray(S256, qa, at + HALF), s0, acc0);
            c += s0 * corr[dOff + b];
        }
        return acc0.add(acc1).reduceLanes(ADD) * UNSHIFT + c;
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        float c0 = 0, c1 = 0;
        for (int b = 0; b < blocks; b++, off0 += Q4, off1 += Q4) {
            int at = qo + b * BLOCK;
            ShortVector lo = ShortVector.fromArray(S256, qa, at), hi = ShortVector.fromArray(S256, qa, at + HALF);
            float d = da[dOff + b], k = corr[dOff + b];
            float s0 = QuantKernels.scale(w, off0) * d, s1 = QuantKernels.scale(w, off1) * d;
            acc0 = blockQ4(w, off0, lo, hi, s0, acc0);
            acc1 = blockQ4(w, off1, lo, hi, s1, acc1);
            c0 += s0 * k;
            c1 += s1 * k;
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT + c0;
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT + c1;
    }

    /** {@code acc + 2¹⁶·s · (pair sums of the block at off: low nibbles times lo, high nibbles times hi)}. */
    private static FloatVector blockQ4(MemorySegment w, long off, ShortVector lo, ShortVector hi, float s, FloatVector acc) {
        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(ZERO_EXTEND_B2S, S256, 0);
        ShortVector products = q.and((short) 0xF).mul(lo).add(q.lanewise(LSHR, 4).mul(hi));
        return ((FloatVector) QuantKernels.shiftedPairSums(products).convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), acc);
    }
}
