package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
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
 * bits) times 2¹⁶. A planar Q4_0 row's scales are converted eight at a time before its blocks.
 */
final class QuantKernels256 {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int HALF = BLOCK / 2;
    private static final int Q8 = 34;
    /** Undoes the 2¹⁶ of {@link QuantKernels#shiftedPairSums} (a power of two: exact). */
    private static final float UNSHIFT = 1f / 65536;

    private QuantKernels256() {}

    /*
     * The block arithmetic is written out in each loop, with only small helpers (a load, a pair sum, the
     * final FMA): a larger helper taking vectors can be compiled on its own first and is then too big
     * for C2 to inline, which boxes every vector it passes.
     */

    /** 256-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row, two accumulators. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            int at = qo + b * BLOCK;
            ShortVector s0 = q8(w, off, 0).mul(x(qa, at)).add(q8(w, off, 1).mul(x(qa, at + HALF)));
            ShortVector s1 = q8(w, off + Q8, 0).mul(x(qa, at + BLOCK)).add(q8(w, off + Q8, 1).mul(x(qa, at + BLOCK + HALF)));
            acc0 = scaled(QuantKernels.pairSums(s0), QuantKernels.scale(w, off) * da[dOff + b], acc0);
            acc1 = scaled(QuantKernels.pairSums(s1), QuantKernels.scale(w, off + Q8) * da[dOff + b + 1], acc1);
        }
        if (b < blocks) {
            int at = qo + b * BLOCK;
            ShortVector s0 = q8(w, off, 0).mul(x(qa, at)).add(q8(w, off, 1).mul(x(qa, at + HALF)));
            acc0 = scaled(QuantKernels.pairSums(s0), QuantKernels.scale(w, off) * da[dOff + b], acc0);
        }
        return acc0.add(acc1).reduceLanes(ADD);
    }

    /**
     * Two Q8_0 weight rows against one activation row, as {@link QuantKernels#dotQ8x2}: here one row
     * after the other. Both rows in one loop are no faster from the caches at this width and slower
     * from memory, where the two rows' blocks make two interleaved streams.
     */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        for (int k = 0; k < 2; k++) out[o + k] = dotQ8(w, k == 0 ? off0 : off1, qa, qo, da, dOff, blocks); // one call site: inlined once
    }

    /** 16 activation shorts at {@code qa[at..]}. */
    private static ShortVector x(short[] qa, int at) {
        return ShortVector.fromArray(S256, qa, at);
    }

    /** Half {@code k} (16 bytes) of the Q8_0 block at {@code off}, sign-extended to shorts. */
    private static ShortVector q8(MemorySegment w, long off, int k) {
        return (ShortVector) ByteVector.fromMemorySegment(B128, w, off + 2 + k * HALF, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S256, 0);
    }

    /** {@code acc + s · float(sums)}. */
    private static FloatVector scaled(IntVector sums, float s, FloatVector acc) {
        return ((FloatVector) sums.convert(I2F, 0)).fma(FloatVector.broadcast(F256, s), acc);
    }

    /**
     * 256-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code NATURAL} order): one planar weight row,
     * the block scales first ({@link #rowScales}, into {@code scales}).
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks, float[] scales) {
        rowScales(w, off, da, corr, dOff, blocks, scales, 0, 0);
        FloatVector acc = FloatVector.zero(F256);
        long quants = off + 2L * blocks; // QuantKernelsScalar.q4Quants(off, blocks, 0)
        for (int b = 0; b < blocks; b++) { // only Vector API calls, as in dotQ4x2
            int at = qo + b * BLOCK;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            IntVector p = q.and((short) 0xF).mul(ShortVector.fromArray(S256, qa, at)).add(q.lanewise(LSHR, 4).mul(ShortVector.fromArray(S256, qa, at + HALF)))
                    .reinterpretAsInts();
            acc = ((FloatVector) p.add(p.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0)).fma(FloatVector.broadcast(F256, scales[b]), acc);
        }
        return acc.reduceLanes(ADD) * UNSHIFT + scales[2 * blocks + 8];
    }

    /**
     * Two planar Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: first each row's
     * block scales {@code d_w·d_a} and its correction term ({@link #rowScales}, into {@code scales}),
     * then per block and row the low nibbles times the first half of the activation block plus the high nibbles
     * times the second (≤ 2·15·127 per lane), neighbours added times 2¹⁶, one FMA with the block's scale.
     */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o, float[] scales) {
        for (int k = 0; k < 2; k++) rowScales(w, k == 0 ? off0 : off1, da, corr, dOff, blocks, scales, k * blocks, k); // one call site: inlined once
        float c0 = scales[2 * blocks + 8], c1 = scales[2 * blocks + 9];
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0;
        long quants0 = off0 + 2L * blocks, quants1 = off1 + 2L * blocks; // QuantKernelsScalar.q4Quants(off, blocks, 0)
        // Only Vector API calls in this loop (no helpers of ours): C2 defers those past its node-count cutoff, which
        // the scale conversion above has nearly used up, where it would refuse a helper and box its vectors.
        for (int b = 0; b < blocks; b++) {
            int at = qo + b * BLOCK;
            ShortVector lo = ShortVector.fromArray(S256, qa, at), hi = ShortVector.fromArray(S256, qa, at + HALF);
            ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants0 + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants1 + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            IntVector p0 = q0.and((short) 0xF).mul(lo).add(q0.lanewise(LSHR, 4).mul(hi)).reinterpretAsInts();
            IntVector p1 = q1.and((short) 0xF).mul(lo).add(q1.lanewise(LSHR, 4).mul(hi)).reinterpretAsInts();
            // QuantKernels.shiftedPairSums, then one FMA with the block's scale
            acc0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0)).fma(FloatVector.broadcast(F256, scales[b]), acc0);
            acc1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, scales[blocks + b]), acc1);
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT + c0;
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT + c1;
    }

    /**
     * The scales {@code d_w·d_a} of the planar Q4_0 row at {@code off} into {@code scales[so .. so + blocks)}, eight
     * at a time ({@link QuantKernels#f16ToFloat}: its scales lie side by side), and its correction
     * {@code Σ d_w·d_a·corr} (the weights' offset of 8) into {@code scales[2·blocks + 8 + k]};
     * {@code scales[2·blocks .. 2·blocks + 8)} holds the correction's lanes, summed in lane order.
     */
    private static void rowScales(MemorySegment w, long off, float[] da, float[] corr, int dOff, int blocks, float[] scales, int so, int k) {
        FloatVector c = FloatVector.zero(F256);
        int b = 0;
        for (; b + F256.length() <= blocks; b += F256.length()) {
            FloatVector s = QuantKernels.f16ToFloat(w, QuantKernelsScalar.q4Scale(off, b)).mul(FloatVector.fromArray(F256, da, dOff + b));
            s.intoArray(scales, so + b);
            c = s.fma(FloatVector.fromArray(F256, corr, dOff + b), c);
        }
        int lanes = 2 * blocks;
        c.intoArray(scales, lanes);
        float sum = 0;
        for (int l = 0; l < F256.length(); l++) sum += scales[lanes + l];
        for (; b < blocks; b++) {
            float s = QuantKernels.scale(w, QuantKernelsScalar.q4Scale(off, b)) * da[dOff + b];
            scales[so + b] = s;
            sum += s * corr[dOff + b];
        }
        scales[lanes + F256.length() + k] = sum;
    }
}
