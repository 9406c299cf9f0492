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
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 512-bit form of the integer dot products of {@link QuantKernels} (16 float lanes, 32 short lanes:
 * one Q8_0 block per vector). A block's 32 weights are widened byte→short in one conversion, multiplied
 * by the activation's shorts (|product| ≤ 127² fits a short), adjacent pairs are summed into the upper
 * halves of 32-bit lanes ({@link QuantKernels#shiftedPairSums}), and the 16 integer lanes are converted to float
 * once and multiplied by {@code d_w·d_a} in one FMA. Q4_0 takes two blocks per vector (see
 * {@link #pairQ4}), its activation in {@link QuantKernelsScalar.Q4Order#PAIRED} order.
 */
final class QuantKernels512 {
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int Q8 = 34;
    /** Float lanes 8–15: the second block's pair sums in {@link #pairQ4}. */
    private static final VectorMask<Float> SECOND_BLOCK_LANES = VectorMask.fromLong(F512, 0xFF00L);
    /** Undoes the 2¹⁶ of {@link QuantKernels#shiftedPairSums} (a power of two: exact). */
    private static final float UNSHIFT = 1f / 65536;

    private QuantKernels512() {}

    /** 512-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            acc0 = blockQ8(w, off, ShortVector.fromArray(S512, qa, qo + b * BLOCK), da[dOff + b], acc0);
            acc1 = blockQ8(w, off + Q8, ShortVector.fromArray(S512, qa, qo + (b + 1) * BLOCK), da[dOff + b + 1], acc1);
        }
        if (b < blocks) acc0 = blockQ8(w, off, ShortVector.fromArray(S512, qa, qo + b * BLOCK), da[dOff + b], acc0);
        return acc0.add(acc1).reduceLanes(ADD) * UNSHIFT;
    }

    /** Two Q8_0 weight rows against one activation row, as {@link QuantKernels#dotQ8x2}. */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0;
        for (int b = 0; b < blocks; b++, off0 += Q8, off1 += Q8) {
            ShortVector x = ShortVector.fromArray(S512, qa, qo + b * BLOCK);
            float d = da[dOff + b];
            acc0 = blockQ8(w, off0, x, d, acc0);
            acc1 = blockQ8(w, off1, x, d, acc1);
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT;
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT;
    }

    /** {@code acc + 2¹⁶·d_w·d_a · (pair sums of the block at off times x)}. */
    private static FloatVector blockQ8(MemorySegment w, long off, ShortVector x, float da, FloatVector acc) {
        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S512, 0);
        return ((FloatVector) QuantKernels.shiftedPairSums(q.mul(x)).convert(I2F, 0)).fma(FloatVector.broadcast(F512, QuantKernels.scale(w, off) * da), acc);
    }

    /** 512-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code PAIRED} order): one weight row, two blocks per vector. */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        FloatVector acc = FloatVector.zero(F512);
        float c = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            int at = qo + b * BLOCK;
            long s = QuantKernelsScalar.q4Scale(off, b);
            float sA = QuantKernels.scale(w, s) * da[dOff + b], sB = QuantKernels.scale(w, s + 2) * da[dOff + b + 1];
            acc = pairQ4(w, QuantKernelsScalar.q4Quants(off, blocks, b), ShortVector.fromArray(S512, qa, at), ShortVector.fromArray(S512, qa, at + BLOCK), sA, sB, acc);
            c += sA * corr[dOff + b] + sB * corr[dOff + b + 1];
        }
        return acc.reduceLanes(ADD) * UNSHIFT + c + lastQ4(w, off, qa, qo, da, corr, dOff, b, blocks);
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0;
        float c0 = 0, c1 = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            int at = qo + b * BLOCK;
            long s0 = QuantKernelsScalar.q4Scale(off0, b), s1 = QuantKernelsScalar.q4Scale(off1, b);
            ShortVector lo = ShortVector.fromArray(S512, qa, at), hi = ShortVector.fromArray(S512, qa, at + BLOCK);
            float dA = da[dOff + b], dB = da[dOff + b + 1], kA = corr[dOff + b], kB = corr[dOff + b + 1];
            float sA0 = QuantKernels.scale(w, s0) * dA, sB0 = QuantKernels.scale(w, s0 + 2) * dB;
            float sA1 = QuantKernels.scale(w, s1) * dA, sB1 = QuantKernels.scale(w, s1 + 2) * dB;
            acc0 = pairQ4(w, QuantKernelsScalar.q4Quants(off0, blocks, b), lo, hi, sA0, sB0, acc0);
            acc1 = pairQ4(w, QuantKernelsScalar.q4Quants(off1, blocks, b), lo, hi, sA1, sB1, acc1);
            c0 += sA0 * kA + sB0 * kB;
            c1 += sA1 * kA + sB1 * kB;
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT + c0 + lastQ4(w, off0, qa, qo, da, corr, dOff, b, blocks);
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT + c1 + lastQ4(w, off1, qa, qo, da, corr, dOff, b, blocks);
    }

    /** The unpaired last block {@code b} of the row at {@code off} by the scalar twin; 0 when {@code b == blocks}. */
    private static float lastQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int b, int blocks) {
        return b < blocks ? QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.PAIRED, w, off, blocks, b, blocks, qa, qo, da, corr, dOff) : 0f;
    }

    /**
     * Two consecutive Q4_0 blocks A and B in one vector: their 32 bytes of nibbles (side by side in a planar
     * row, from {@code quants}) zero-extended to 32 shorts: the whole bytes multiply the pair's low-half activations
     * ({@code lo}) and their high nibbles ({@code >>> 4}) the folded high halves ({@code hi}, see
     * {@link QuantKernelsScalar.Q4Order#FOLDED}). Each 16-bit lane sums its two products (true sum ≤ 2·15·127, exact
     * modulo 2¹⁶),
     * {@link QuantKernels#shiftedPairSums} adds neighbours, and lanes 0–7 (block A) and 8–15 (block B)
     * are scaled by {@code sA} and {@code sB} in one FMA.
     */
    private static FloatVector pairQ4(MemorySegment w, long quants, ShortVector lo, ShortVector hi, float sA, float sB, FloatVector acc) {
        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, quants, ByteOrder.LITTLE_ENDIAN).convertShape(ZERO_EXTEND_B2S, S512, 0);
        ShortVector products = q.mul(lo).add(q.lanewise(LSHR, 4).mul(hi)); // whole bytes: hi is folded (Q4Order.PAIRED)
        FloatVector scales = FloatVector.broadcast(F512, sA).blend(FloatVector.broadcast(F512, sB), SECOND_BLOCK_LANES);
        return ((FloatVector) QuantKernels.shiftedPairSums(products).convert(I2F, 0)).fma(scales, acc);
    }
}
