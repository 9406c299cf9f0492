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
 * The 128-bit form of the integer dot products of {@link QuantKernels} (4 float lanes, 8 short lanes),
 * for SSE and Arm NEON. Q8_0: a block is four vectors of 8 shorts (its 8-byte quarters sign-extended),
 * each multiplied by its quarter of the activation; quarters 0+1 and 2+3 are added in 16 bits
 * (|sum| ≤ 2·127² fits a short), each sum's lane pairs are widened to exact 32-bit sums
 * ({@link QuantKernels#pairSums}) and added, and the 4 integer lanes are converted to float once and
 * scaled by {@code d_w·d_a} in one FMA per block. Q4_0: each 32-byte chunk of a group of eight blocks
 * ({@link QuantKernelsScalar#q4Byte}) is two vectors of 8 shorts, blocks 0–3 and 4–7 of the group, multiplied
 * without widening or masking as the 256-bit form does ({@link QuantKernelsScalar.Q4Order#GROUPED}).
 */
final class QuantKernels128 {
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Short> S128 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    /** Shorts per vector: a quarter of a block. */
    private static final int QUARTER = BLOCK / 4;
    private static final int Q8 = 34;
    private static final VectorSpecies<Short> S64 = ShortVector.SPECIES_64;
    private static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    /** Shorts of a Q4_0 group's activation, of one of its four multipliers, and of one chunk (see Q4Order.GROUPED). */
    private static final int GROUP_SHORTS = QuantKernelsScalar.GROUP * BLOCK, Y = GROUP_SHORTS / 4, CHUNK_SHORTS = 16,
            HALF_CHUNK = CHUNK_SHORTS / 2;
    /** Bytes of a chunk of a Q4_0 group's nibbles: bytes 4k..4k+3 of its eight blocks. */
    private static final int CHUNK_BYTES = 32;

    private QuantKernels128() {}

    /*
     * The block arithmetic is written out in each loop, with only small helpers (a load, a widening, a
     * pair sum, the final FMA): a larger helper taking vectors can be compiled on its own first and is
     * then too big for C2 to inline, which boxes every vector it passes.
     */

    /** 128-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc = FloatVector.zero(F128);
        for (int b = 0; b < blocks; b++, off += Q8) {
            int at = qo + b * BLOCK;
            ShortVector s01 = q8(w, off, 0).mul(x(qa, at, 0)).add(q8(w, off, 1).mul(x(qa, at, 1)));
            ShortVector s23 = q8(w, off, 2).mul(x(qa, at, 2)).add(q8(w, off, 3).mul(x(qa, at, 3)));
            acc = scaled(QuantKernels.pairSums(s01).add(QuantKernels.pairSums(s23)), QuantKernels.scale(w, off) * da[dOff + b], acc);
        }
        return acc.reduceLanes(ADD);
    }

    /**
     * Two Q8_0 weight rows against one activation row, as {@link QuantKernels#dotQ8x2}: here one row
     * after the other, as both rows' arithmetic in one loop is more than C2 inlines into one method
     * (NodeCountInliningCutoff) at this width, where a block takes four vectors per row.
     */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        for (int k = 0; k < 2; k++) out[o + k] = dotQ8(w, k == 0 ? off0 : off1, qa, qo, da, dOff, blocks); // one call site: inlined once
    }

    /** Quarter {@code k} of the activation block at {@code qa[at..]}. */
    private static ShortVector x(short[] qa, int at, int k) {
        return ShortVector.fromArray(S128, qa, at + k * QUARTER);
    }

    /** Quarter {@code k} of the Q8_0 block at {@code off}, sign-extended to shorts. */
    private static ShortVector q8(MemorySegment w, long off, int k) {
        return (ShortVector) ByteVector.fromMemorySegment(B64, w, off + 2 + k * QUARTER, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S128, 0);
    }

    /** {@code acc + s · float(sums)}. */
    private static FloatVector scaled(IntVector sums, float s, FloatVector acc) {
        return ((FloatVector) sums.convert(I2F, 0)).fma(FloatVector.broadcast(F128, s), acc);
    }

    /**
     * 128-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code GROUPED} order): one planar weight row, as
     * the 256-bit {@code dotQ4} with each 32-byte chunk of a group in two halves of 8 shorts: blocks 0–3 of the group
     * and blocks 4–7, each half summed in its own vector and scaled by its four blocks' {@code d_w·d_a}.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        int full = QuantKernelsScalar.grouped(blocks);
        long nibbles = off + 2L * blocks;
        FloatVector acc = FloatVector.zero(F128), c = acc;
        IntVector special = IntVector.zero(I128);
        ShortVector pA = ShortVector.zero(S128), pB = pA;
        // one loop over the chunks, the group's end every fourth (see QuantKernels256.dotQ4); only Vector API calls in it
        for (int k = 0; k < full / 2; k++) {
            int at = qo + (k >> 2) * GROUP_SHORTS + (k & 3) * CHUNK_SHORTS;
            long chunk = nibbles + (long) k * CHUNK_BYTES;
            ShortVector a = ShortVector.fromMemorySegment(S128, w, chunk, ByteOrder.LITTLE_ENDIAN);
            ShortVector e = ShortVector.fromMemorySegment(S128, w, chunk + CHUNK_BYTES / 2, ByteOrder.LITTLE_ENDIAN);
            pA = pA.add(a.mul(ShortVector.fromArray(S128, qa, at))).add(a.lanewise(LSHR, 4).mul(ShortVector.fromArray(S128, qa, at + Y)))
                    .add(a.lanewise(LSHR, 8).mul(ShortVector.fromArray(S128, qa, at + 2 * Y)))
                    .add(a.lanewise(LSHR, 12).mul(ShortVector.fromArray(S128, qa, at + 3 * Y)));
            pB = pB.add(e.mul(ShortVector.fromArray(S128, qa, at + HALF_CHUNK))).add(e.lanewise(LSHR, 4).mul(ShortVector.fromArray(S128, qa, at + Y + HALF_CHUNK)))
                    .add(e.lanewise(LSHR, 8).mul(ShortVector.fromArray(S128, qa, at + 2 * Y + HALF_CHUNK)))
                    .add(e.lanewise(LSHR, 12).mul(ShortVector.fromArray(S128, qa, at + 3 * Y + HALF_CHUNK)));
            if ((k & 3) == 3) {
                int g = (k >> 2) * QuantKernelsScalar.GROUP, g4 = g + QuantKernelsScalar.GROUP / 2;
                IntVector hA = (IntVector) ShortVector.fromMemorySegment(S64, w, QuantKernelsScalar.q4Scale(off, g), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I128, 0);
                IntVector hB = (IntVector) ShortVector.fromMemorySegment(S64, w, QuantKernelsScalar.q4Scale(off, g4), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(S2I, I128, 0);
                special = special.or(hA.and(0x7C00).add(0x400)).or(hB.and(0x7C00).add(0x400));
                FloatVector dA = hA.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(hA.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(FloatVector.fromArray(F128, da, dOff + g));
                FloatVector dB = hB.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .or(hB.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(FloatVector.fromArray(F128, da, dOff + g4));
                IntVector sA = pA.reinterpretAsInts(), sB = pB.reinterpretAsInts();
                acc = ((FloatVector) sA.lanewise(ASHR, 16).add(sA.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0)).fma(dA, acc);
                acc = ((FloatVector) sB.lanewise(ASHR, 16).add(sB.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0)).fma(dB, acc);
                c = dA.fma(FloatVector.fromArray(F128, corr, dOff + g), c);
                c = dB.fma(FloatVector.fromArray(F128, corr, dOff + g4), c);
                pA = ShortVector.zero(S128);
                pB = pA;
            }
        }
        if (special.and(0x8000).reduceLanes(OR) != 0) {
            return QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.GROUPED, w, off, qa, qo, da, corr, dOff, blocks); // an infinite or NaN scale
        }
        float tail = full == blocks ? 0f
                : QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.GROUPED, w, off, blocks, full, blocks, qa, qo, da, corr, dOff);
        return acc.add(c).reduceLanes(ADD) + tail;
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: one row after the other, as {@link #dotQ8x2}. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        for (int k = 0; k < 2; k++) out[o + k] = dotQ4(w, k == 0 ? off0 : off1, qa, qo, da, corr, dOff, blocks); // one call site: inlined once
    }
}
