package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.S2I;

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
 * {@link QuantKernels#pairSums} (≤ 4·127² no longer fits 16 bits), converted to float once and scaled by
 * {@code d_w·d_a} in one FMA per block. Q4_0 takes a row's nibbles as they are grouped by eight blocks
 * ({@link QuantKernelsScalar#q4Byte}): a 32-byte chunk is 16 shorts, two of each block of the group, read without
 * widening or masking ({@link QuantKernelsScalar.Q4Order#GROUPED}), and the group's eight block sums are scaled by
 * its eight scales in one FMA (see {@link #dotQ4}).
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
    /** Shorts of a Q4_0 group's activation, of one of its four multipliers, and of one chunk within that (see Q4Order.GROUPED). */
    private static final int GROUP_SHORTS = QuantKernelsScalar.GROUP * BLOCK, Y = GROUP_SHORTS / 4, CHUNK_SHORTS = 16;
    /** Bytes of a chunk of a Q4_0 group's nibbles: bytes 4k..4k+3 of its eight blocks. */
    private static final int CHUNK_BYTES = 32;

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
     * 256-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code GROUPED} order): one planar weight row.
     * Per group of eight blocks, each of its four 32-byte chunks is one vector of 16 shorts (two of each block), times
     * the four folded activation vectors after shifts of 0, 4, 8 and 12 bits; the group's 16-bit sums (≤ 16·15·127 per
     * lane) become the eight blocks' exact sums in eight int lanes ({@link QuantKernels#pairSums}), converted once and
     * scaled by the eight blocks' {@code d_w·d_a} in one FMA; the blocks past the last whole group go to the twin.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        int full = QuantKernelsScalar.grouped(blocks);
        long nibbles = off + 2L * blocks;
        FloatVector acc = FloatVector.zero(F256), c = acc;
        IntVector special = IntVector.zero(I256);
        ShortVector p = ShortVector.zero(S256);
        // One loop over the chunks, the group's end every fourth: a nested loop of four made C2 set up its range
        // checks at every group, which cost more than the arithmetic. Only Vector API calls in it (see dotQ4x2).
        for (int k = 0; k < full / 2; k++) {
            int at = qo + (k >> 2) * GROUP_SHORTS + (k & 3) * CHUNK_SHORTS;
            ShortVector q = ShortVector.fromMemorySegment(S256, w, nibbles + (long) k * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            p = p.add(q.mul(ShortVector.fromArray(S256, qa, at))).add(q.lanewise(LSHR, 4).mul(ShortVector.fromArray(S256, qa, at + Y)))
                    .add(q.lanewise(LSHR, 8).mul(ShortVector.fromArray(S256, qa, at + 2 * Y)))
                    .add(q.lanewise(LSHR, 12).mul(ShortVector.fromArray(S256, qa, at + 3 * Y)));
            if ((k & 3) == 3) {
                int g = (k >> 2) * QuantKernelsScalar.GROUP;
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S128, w, QuantKernelsScalar.q4Scale(off, g), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I256, 0);
                special = special.or(h.and(0x7C00).add(0x400));
                FloatVector d = h.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(FloatVector.fromArray(F256, da, dOff + g));
                IntVector sums = p.reinterpretAsInts();
                acc = ((FloatVector) sums.lanewise(ASHR, 16).add(sums.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0)).fma(d, acc);
                c = d.fma(FloatVector.fromArray(F256, corr, dOff + g), c);
                p = ShortVector.zero(S256);
            }
        }
        if (special.and(0x8000).reduceLanes(OR) != 0) return exactQ4(w, off, qa, qo, da, corr, dOff, blocks);
        return acc.add(c).reduceLanes(ADD) + tailQ4(w, off, qa, qo, da, corr, dOff, blocks);
    }

    /**
     * Two planar Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: {@link #dotQ4}'s
     * arithmetic for both, the activation vectors loaded once.
     */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        int full = QuantKernelsScalar.grouped(blocks);
        long nibbles0 = off0 + 2L * blocks, nibbles1 = off1 + 2L * blocks;
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0, c0 = acc0, c1 = acc0;
        IntVector special0 = IntVector.zero(I256), special1 = special0;
        ShortVector p0 = ShortVector.zero(S256), p1 = p0;
        // Only Vector API calls in this loop (no helpers of ours): past its node-count cutoff C2 defers those, where it
        // would refuse a helper of ours and box the vectors it takes.
        for (int k = 0; k < full / 2; k++) {
            int at = qo + (k >> 2) * GROUP_SHORTS + (k & 3) * CHUNK_SHORTS;
            ShortVector y0 = ShortVector.fromArray(S256, qa, at), y1 = ShortVector.fromArray(S256, qa, at + Y);
            ShortVector y2 = ShortVector.fromArray(S256, qa, at + 2 * Y), y3 = ShortVector.fromArray(S256, qa, at + 3 * Y);
            ShortVector q0 = ShortVector.fromMemorySegment(S256, w, nibbles0 + (long) k * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            ShortVector q1 = ShortVector.fromMemorySegment(S256, w, nibbles1 + (long) k * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            p0 = p0.add(q0.mul(y0)).add(q0.lanewise(LSHR, 4).mul(y1)).add(q0.lanewise(LSHR, 8).mul(y2)).add(q0.lanewise(LSHR, 12).mul(y3));
            p1 = p1.add(q1.mul(y0)).add(q1.lanewise(LSHR, 4).mul(y1)).add(q1.lanewise(LSHR, 8).mul(y2)).add(q1.lanewise(LSHR, 12).mul(y3));
            if ((k & 3) == 3) {
                int g = (k >> 2) * QuantKernelsScalar.GROUP;
                FloatVector dA = FloatVector.fromArray(F256, da, dOff + g), kA = FloatVector.fromArray(F256, corr, dOff + g);
                IntVector h0 = (IntVector) ShortVector.fromMemorySegment(S128, w, QuantKernelsScalar.q4Scale(off0, g), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I256, 0);
                IntVector h1 = (IntVector) ShortVector.fromMemorySegment(S128, w, QuantKernelsScalar.q4Scale(off1, g), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I256, 0);
                special0 = special0.or(h0.and(0x7C00).add(0x400));
                special1 = special1.or(h1.and(0x7C00).add(0x400));
                FloatVector d0 = h0.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(h0.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(dA);
                FloatVector d1 = h1.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(h1.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(dA);
                IntVector s0 = p0.reinterpretAsInts(), s1 = p1.reinterpretAsInts();
                acc0 = ((FloatVector) s0.lanewise(ASHR, 16).add(s0.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0)).fma(d0, acc0);
                acc1 = ((FloatVector) s1.lanewise(ASHR, 16).add(s1.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0)).fma(d1, acc1);
                c0 = d0.fma(kA, c0);
                c1 = d1.fma(kA, c1);
                p0 = ShortVector.zero(S256);
                p1 = p0;
            }
        }
        out[o] = special0.and(0x8000).reduceLanes(OR) != 0 ? exactQ4(w, off0, qa, qo, da, corr, dOff, blocks)
                : acc0.add(c0).reduceLanes(ADD) + tailQ4(w, off0, qa, qo, da, corr, dOff, blocks);
        out[o + 1] = special1.and(0x8000).reduceLanes(OR) != 0 ? exactQ4(w, off1, qa, qo, da, corr, dOff, blocks)
                : acc1.add(c1).reduceLanes(ADD) + tailQ4(w, off1, qa, qo, da, corr, dOff, blocks);
    }

    /*
     * The f16 scales become floats as Float.float16ToFloat makes them: the magnitude bits moved into a float's place
     * (<< 13) read as a float 2¹¹² times too small (normal and subnormal values alike: the multiply by 2¹¹² is then
     * exact), the sign put back. That is exact for every finite f16; an infinity or NaN (exponent 31, found by the
     * carry out of (h & 0x7C00) + 0x400) comes out finite instead, so a row with one is computed again by the twin
     * (exactQ4): a real checkpoint never has one, so its rows pay one OR per group for them.
     */

    /** The row by the twin: one with an infinite or NaN scale. */
    private static float exactQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        return QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.GROUPED, w, off, qa, qo, da, corr, dOff, blocks);
    }

    /** The blocks past the row's last whole group, by the twin; 0 when there are none. */
    private static float tailQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        int full = QuantKernelsScalar.grouped(blocks);
        return full == blocks ? 0f
                : QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.GROUPED, w, off, blocks, full, blocks, qa, qo, da, corr, dOff);
    }
}
