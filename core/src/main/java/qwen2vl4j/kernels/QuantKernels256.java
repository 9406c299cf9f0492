package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
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
 * a block's 16 bytes zero-extended to 16 shorts are one vector; the whole bytes multiply the first half of
 * the activation block and their high nibbles the folded second half ({@link QuantKernelsScalar.Q4Order#FOLDED}:
 * no mask for the low nibbles); each lane's two products sum to low·x + high·x' (≤ 2·15·127, exact modulo
 * 2¹⁶) and {@link QuantKernels#shiftedPairSums} adds neighbours (≤ 4·15·127 still fits 16 bits) times 2¹⁶.
 * A planar Q4_0 row's scales are converted eight at a time before its blocks.
 */
final class QuantKernels256 {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
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
     * 256-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code FOLDED} order): one planar weight row,
     * the block scales first ({@link #rowScales}, into {@code scales}).
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks, float[] scales) {
        rowScales(w, off, -1, da, corr, dOff, blocks, scales);
        FloatVector acc = FloatVector.fromArray(F256, scales, correction(blocks, 0)); // the correction, times 2¹⁶ as the sums below
        long quants = QuantKernelsScalar.q4Quants(off, blocks, 0);
        for (int b = 0; b < blocks; b++) { // only Vector API calls, as in dotQ4x2
            int at = qo + b * BLOCK;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            IntVector p = q.mul(ShortVector.fromArray(S256, qa, at)).add(q.lanewise(LSHR, 4).mul(ShortVector.fromArray(S256, qa, at + HALF)))
                    .reinterpretAsInts();
            acc = ((FloatVector) p.add(p.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0)).fma(FloatVector.broadcast(F256, scales[b]), acc);
        }
        return acc.reduceLanes(ADD) * UNSHIFT;
    }

    /**
     * Two planar Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: first each row's
     * block scales {@code d_w·d_a} and its correction term ({@link #rowScales}, into {@code scales}),
     * then per block and row the whole bytes times the first half of the activation block plus the high nibbles
     * times the folded second (≤ 2·15·127 per lane), neighbours added times 2¹⁶, one FMA with the block's scale.
     */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o, float[] scales) {
        rowScales(w, off0, off1, da, corr, dOff, blocks, scales);
        // each row's correction, times 2¹⁶ as the sums below
        FloatVector acc0 = FloatVector.fromArray(F256, scales, correction(blocks, 0)), acc1 = FloatVector.fromArray(F256, scales, correction(blocks, 1));
        long quants0 = QuantKernelsScalar.q4Quants(off0, blocks, 0), quants1 = QuantKernelsScalar.q4Quants(off1, blocks, 0);
        // Only Vector API calls in this loop (no helpers of ours): past its node-count cutoff C2 defers those, where it
        // would refuse a helper of ours and box the vectors it takes.
        for (int b = 0; b < blocks; b++) {
            int at = qo + b * BLOCK;
            ShortVector lo = ShortVector.fromArray(S256, qa, at), hi = ShortVector.fromArray(S256, qa, at + HALF);
            ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants0 + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, quants1 + (long) b * HALF, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(ZERO_EXTEND_B2S, S256, 0);
            IntVector p0 = q0.mul(lo).add(q0.lanewise(LSHR, 4).mul(hi)).reinterpretAsInts();
            IntVector p1 = q1.mul(lo).add(q1.lanewise(LSHR, 4).mul(hi)).reinterpretAsInts();
            // QuantKernels.shiftedPairSums, then one FMA with the block's scale
            acc0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0)).fma(FloatVector.broadcast(F256, scales[b]), acc0);
            acc1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).and(0xFFFF0000).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, scales[blocks + b]), acc1);
        }
        out[o] = acc0.reduceLanes(ADD) * UNSHIFT;
        out[o + 1] = acc1.reduceLanes(ADD) * UNSHIFT;
    }

    /**
     * The scales {@code d_w·d_a} of the planar Q4_0 rows at {@code off0} and {@code off1} (none when negative) into
     * {@code scales[0 .. blocks)} and {@code scales[blocks .. 2·blocks)}, eight at a time (a planar row's scales
     * lie side by side), and each row's correction {@code Σ d_w·d_a·corr} (the weights' offset of 8) as eight lane
     * sums times 2¹⁶ at {@link #correction}: the kernel starts its accumulator from them, so they join its sum
     * without a scalar pass (the blocks past the last eight are added to the first lane).
     *
     * <p>The f16 scales become floats as {@link Float#float16ToFloat} makes them: the magnitude bits moved into a
     * float's place ({@code << 13}) read as a float 2¹¹² times too small (normal and subnormal values alike: the
     * multiply by 2¹¹² is then exact), the sign put back. That is exact for every finite f16, not for an infinity or
     * NaN (exponent field 31): the pass keeps the largest exponent field (an integer max, one instruction, where a
     * float max with Java's NaN and −0.0 order takes six on AVX2) and converts such a row again one scale at a time
     * ({@link #exactRowScales}): a real checkpoint never has one, so its rows pay nothing for them.
     *
     * <p>This pass stays out of the kernels' own compilation: it takes and returns no vector, and both rows in one
     * method make it larger than C2 inlines (FreqInlineSize, 325 bytes of bytecode). Inlined beside a kernel's
     * loop, its vector code made C2's code for that loop slower in some runs and not others ([8960x1536] 0.53 or
     * 0.82 ms); kept out with {@code -XX:CompileCommand=dontinline} it ran 0.55–0.59 ms in every run.
     */
    static void rowScales(MemorySegment w, long off0, long off1, float[] da, float[] corr, int dOff, int blocks, float[] scales) {
        for (int k = 0; k < 2; k++) {
            long off = k == 0 ? off0 : off1;
            if (off < 0) break;
            FloatVector c = FloatVector.zero(F256);
            IntVector exponents = IntVector.zero(I256);
            int b = 0;
            for (; b + F256.length() <= blocks; b += F256.length()) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S128, w, QuantKernelsScalar.q4Scale(off, b), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I256, 0);
                exponents = exponents.max(h.and(0x7C00));
                FloatVector d = h.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(FloatVector.fromArray(F256, da, dOff + b));
                d.intoArray(scales, k * blocks + b);
                c = d.fma(FloatVector.fromArray(F256, corr, dOff + b), c);
            }
            c.mul(0x1p16f).intoArray(scales, correction(blocks, k));
            scales[correction(blocks, k)] += scalarScales(w, off, da, corr, dOff, b, blocks, scales, k) * 0x1p16f;
            if (exponents.compare(EQ, 0x7C00).anyTrue()) exactRowScales(w, off, da, corr, dOff, blocks, scales, k);
        }
    }

    /** {@link #rowScales} for row {@code k} one scale at a time, for a row with an infinite or NaN scale; its correction in the first lane. */
    private static void exactRowScales(MemorySegment w, long off, float[] da, float[] corr, int dOff, int blocks, float[] scales, int k) {
        float sum = scalarScales(w, off, da, corr, dOff, 0, blocks, scales, k);
        java.util.Arrays.fill(scales, correction(blocks, k), correction(blocks, k) + F256.length(), 0f);
        scales[correction(blocks, k)] = sum * 0x1p16f;
    }

    /** Row {@code k}'s scales from block {@code from} on, one at a time, into the scratch; returns their {@code Σ d_w·d_a·corr}. */
    private static float scalarScales(MemorySegment w, long off, float[] da, float[] corr, int dOff, int from, int blocks, float[] scales, int k) {
        float sum = 0;
        for (int b = from; b < blocks; b++) {
            float d = QuantKernels.scale(w, QuantKernelsScalar.q4Scale(off, b)) * da[dOff + b];
            scales[k * blocks + b] = d;
            sum += d * corr[dOff + b];
        }
        return sum;
    }

    /** Where {@link #rowScales} leaves the eight lane sums of row {@code k}'s correction (0 or 1) in the scratch, past the scales. */
    static int correction(int blocks, int k) {
        return 2 * blocks + k * F256.length();
    }
}
