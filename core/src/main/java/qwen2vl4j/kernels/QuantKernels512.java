package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
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
 * The 512-bit form of the integer dot products of {@link QuantKernels} (16 float lanes, 32 short lanes:
 * one Q8_0 block per vector). A block's 32 weights are widened byte→short in one conversion, multiplied
 * by the activation's shorts (|product| ≤ 127² fits a short), adjacent pairs are summed into the upper
 * halves of 32-bit lanes ({@link QuantKernels#shiftedPairSums}), and the 16 integer lanes are converted to float
 * once and multiplied by {@code d_w·d_a} in one FMA. Q4_0 takes two 32-byte chunks of a group of eight blocks
 * per vector ({@link #dotQ4}), its activation in {@link QuantKernelsScalar.Q4Order#GROUPED} order.
 */
final class QuantKernels512 {
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int Q8 = 34;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    /** Shorts of a Q4_0 group's activation, of one of its four multipliers, and of one chunk (see Q4Order.GROUPED). */
    private static final int GROUP_SHORTS = QuantKernelsScalar.GROUP * BLOCK, Y = GROUP_SHORTS / 4, CHUNK_SHORTS = 16;
    /** Bytes of a chunk of a Q4_0 group's nibbles: bytes 4k..4k+3 of its eight blocks. */
    private static final int CHUNK_BYTES = 32;
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

    /**
     * 512-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code GROUPED} order): one planar weight row, as
     * the 256-bit {@code dotQ4} with two 32-byte chunks of a group per vector; the 16 exact sums are then folded
     * (chunks 0 and 2 hold the same blocks as chunks 1 and 3) into the group's eight block sums.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        int full = QuantKernelsScalar.grouped(blocks);
        long nibbles = off + 2L * blocks;
        FloatVector acc = FloatVector.zero(F256), c = acc;
        IntVector special = IntVector.zero(I256);
        ShortVector p = ShortVector.zero(S512);
        // one loop over the chunk pairs, the group's end every second (see QuantKernels256.dotQ4); only Vector API calls in it
        for (int k = 0; k < full / 4; k++) {
            int at = qo + (k >> 1) * GROUP_SHORTS + (k & 1) * 2 * CHUNK_SHORTS;
            ShortVector q = ShortVector.fromMemorySegment(S512, w, nibbles + (long) k * 2 * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            p = p.add(q.mul(ShortVector.fromArray(S512, qa, at))).add(q.lanewise(LSHR, 4).mul(ShortVector.fromArray(S512, qa, at + Y)))
                    .add(q.lanewise(LSHR, 8).mul(ShortVector.fromArray(S512, qa, at + 2 * Y)))
                    .add(q.lanewise(LSHR, 12).mul(ShortVector.fromArray(S512, qa, at + 3 * Y)));
            if ((k & 1) == 1) {
                int g = (k >> 1) * QuantKernelsScalar.GROUP;
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S128, w, QuantKernelsScalar.q4Scale(off, g), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I256, 0);
                special = special.or(h.and(0x7C00).add(0x400));
                FloatVector d = h.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(h.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(FloatVector.fromArray(F256, da, dOff + g));
                IntVector s = QuantKernels.pairSums(p);
                IntVector sums = ((IntVector) s.reinterpretShape(I256, 0)).add((IntVector) s.reinterpretShape(I256, 1));
                acc = ((FloatVector) sums.convert(I2F, 0)).fma(d, acc);
                c = d.fma(FloatVector.fromArray(F256, corr, dOff + g), c);
                p = ShortVector.zero(S512);
            }
        }
        if (special.and(0x8000).reduceLanes(OR) != 0) return exactQ4(w, off, qa, qo, da, corr, dOff, blocks);
        return acc.add(c).reduceLanes(ADD) + tailQ4(w, off, qa, qo, da, corr, dOff, blocks);
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: {@link #dotQ4} for both, the activation loaded once. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        int full = QuantKernelsScalar.grouped(blocks);
        long nibbles0 = off0 + 2L * blocks, nibbles1 = off1 + 2L * blocks;
        FloatVector acc0 = FloatVector.zero(F256), acc1 = acc0, c0 = acc0, c1 = acc0;
        IntVector special0 = IntVector.zero(I256), special1 = special0;
        ShortVector p0 = ShortVector.zero(S512), p1 = p0;
        for (int k = 0; k < full / 4; k++) {
            int at = qo + (k >> 1) * GROUP_SHORTS + (k & 1) * 2 * CHUNK_SHORTS;
            ShortVector y0 = ShortVector.fromArray(S512, qa, at), y1 = ShortVector.fromArray(S512, qa, at + Y);
            ShortVector y2 = ShortVector.fromArray(S512, qa, at + 2 * Y), y3 = ShortVector.fromArray(S512, qa, at + 3 * Y);
            ShortVector q0 = ShortVector.fromMemorySegment(S512, w, nibbles0 + (long) k * 2 * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            ShortVector q1 = ShortVector.fromMemorySegment(S512, w, nibbles1 + (long) k * 2 * CHUNK_BYTES, ByteOrder.LITTLE_ENDIAN);
            p0 = p0.add(q0.mul(y0)).add(q0.lanewise(LSHR, 4).mul(y1)).add(q0.lanewise(LSHR, 8).mul(y2)).add(q0.lanewise(LSHR, 12).mul(y3));
            p1 = p1.add(q1.mul(y0)).add(q1.lanewise(LSHR, 4).mul(y1)).add(q1.lanewise(LSHR, 8).mul(y2)).add(q1.lanewise(LSHR, 12).mul(y3));
            if ((k & 1) == 1) {
                int g = (k >> 1) * QuantKernelsScalar.GROUP;
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
                IntVector s0 = QuantKernels.pairSums(p0), s1 = QuantKernels.pairSums(p1);
                s0 = ((IntVector) s0.reinterpretShape(I256, 0)).add((IntVector) s0.reinterpretShape(I256, 1));
                s1 = ((IntVector) s1.reinterpretShape(I256, 0)).add((IntVector) s1.reinterpretShape(I256, 1));
                acc0 = ((FloatVector) s0.convert(I2F, 0)).fma(d0, acc0);
                acc1 = ((FloatVector) s1.convert(I2F, 0)).fma(d1, acc1);
                c0 = d0.fma(kA, c0);
                c1 = d1.fma(kA, c1);
                p0 = ShortVector.zero(S512);
                p1 = p0;
            }
        }
        out[o] = special0.and(0x8000).reduceLanes(OR) != 0 ? exactQ4(w, off0, qa, qo, da, corr, dOff, blocks)
                : acc0.add(c0).reduceLanes(ADD) + tailQ4(w, off0, qa, qo, da, corr, dOff, blocks);
        out[o + 1] = special1.and(0x8000).reduceLanes(OR) != 0 ? exactQ4(w, off1, qa, qo, da, corr, dOff, blocks)
                : acc1.add(c1).reduceLanes(ADD) + tailQ4(w, off1, qa, qo, da, corr, dOff, blocks);
    }

    /** The row by the twin: one with an infinite or NaN scale, which the bit conversion of the scales does not keep. */
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
