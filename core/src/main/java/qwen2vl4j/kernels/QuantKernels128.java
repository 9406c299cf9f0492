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
 * (zero-extended halves); the whole bytes multiply the activation's first 16 values and their high nibbles
 * its folded last 16 ({@link QuantKernelsScalar.Q4Order#FOLDED}: no mask for the low nibbles); the four
 * products of a lane are added in 16 bits (true sum ≤ 4·15·127, exact modulo 2¹⁶) and
 * {@link QuantKernels#shiftedPairSums} adds neighbours (≤ 8·15·127 still fits 16 bits) times 2¹⁶.
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
    /** Undoes the 2¹⁶ of {@link QuantKernels#shiftedPairSums} (a power of two: exact). */
    private static final float UNSHIFT = 1f / 65536;

    private QuantKernels128() {}

    /*
     * The block arithmetic is written out in each loop, with only small helpers (a load, a widening, a
     * pair sum, the final FMA): a larger helper taking vectors can be compiled on its own first and is
     * then too big for C2 to inline, which boxes every vector it passes.
     */

    /**
     * 128-bit twin of {@link QuantKernelsScalar#dotQ8}: one weight row. The row is addressed through a slice with
     * {@code int} offsets from the loop counter, for which C2 hoists the loads' bounds checks out of the loop; with
     * {@code long} offsets into the whole matrix it keeps about twenty scalar instructions per load in it, and this
     * kernel makes four loads per block ({@code QuantGemv} from memory, 28 × [8960x1536] on one core: 4.62–4.88 →
     * 4.08–4.17 ns per row and block). The kernels that load a block in one or two vectors keep {@code long} offsets:
     * there the slice was no faster (Q4_0) or slower (256-bit Q8_0: 3.1–3.4 → 4.1–4.4).
     */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        MemorySegment row = w.asSlice(off, (long) blocks * Q8);
        FloatVector acc = FloatVector.zero(F128);
        for (int b = 0, o = 0; b < blocks; b++, o += Q8) {
            int at = qo + b * BLOCK;
            ShortVector s01 = q8(row, o, 0).mul(x(qa, at, 0)).add(q8(row, o, 1).mul(x(qa, at, 1)));
            ShortVector s23 = q8(row, o, 2).mul(x(qa, at, 2)).add(q8(row, o, 3).mul(x(qa, at, 3)));
            acc = scaled(QuantKernels.pairSums(s01).add(QuantKernels.pairSums(s23)), QuantKernels.scale(row, o) * da[dOff + b], acc);
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

    /** Quarter {@code k} of the Q8_0 block at {@code off} of a row, sign-extended to shorts. */
    private static ShortVector q8(MemorySegment w, int off, int k) {
        return (ShortVector) ByteVector.fromMemorySegment(B64, w, off + 2 + k * QUARTER, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S128, 0);
    }

    /** Bytes {@code k·8 .. k·8+7} of the Q4_0 nibbles at {@code quants}, zero-extended to shorts (nibbles still packed). */
    private static ShortVector q4(MemorySegment w, long quants, int k) {
        return (ShortVector) ByteVector.fromMemorySegment(B64, w, quants + k * QUARTER, ByteOrder.LITTLE_ENDIAN)
                .convertShape(ZERO_EXTEND_B2S, S128, 0);
    }

    /** {@code acc + s · float(sums)}. */
    private static FloatVector scaled(IntVector sums, float s, FloatVector acc) {
        return ((FloatVector) sums.convert(I2F, 0)).fma(FloatVector.broadcast(F128, s), acc);
    }

    /**
     * 128-bit twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code FOLDED} order): one planar weight
     * row. Bytes 0–7 of a block's nibbles hold values 0–7 (low nibbles; the whole bytes times activation quarter 0)
     * and 16–23 (high nibbles, folded quarter 2), bytes 8–15 values 8–15 and 24–31 (quarters 1 and 3); the four products
     * of a lane are added in 16 bits (≤ 4·15·127) and {@link QuantKernels#shiftedPairSums} adds
     * neighbours (≤ 8·15·127) times 2¹⁶.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        FloatVector acc = FloatVector.zero(F128);
        float c = 0;
        long quants = QuantKernelsScalar.q4Quants(off, blocks, 0);
        for (int b = 0; b < blocks; b++, quants += HALF) {
            int at = qo + b * BLOCK;
            float s = QuantKernels.scale(w, QuantKernelsScalar.q4Scale(off, b)) * da[dOff + b];
            ShortVector a = q4(w, quants, 0), e = q4(w, quants, 1);
            ShortVector p = a.mul(x(qa, at, 0)).add(a.lanewise(LSHR, 4).mul(x(qa, at, 2))) // FOLDED: whole bytes, no mask
                    .add(e.mul(x(qa, at, 1))).add(e.lanewise(LSHR, 4).mul(x(qa, at, 3)));
            acc = scaled(QuantKernels.shiftedPairSums(p), s, acc);
            c += s * corr[dOff + b];
        }
        return acc.reduceLanes(ADD) * UNSHIFT + c;
    }

    /** Two Q4_0 weight rows against one activation row, as {@link QuantKernels#dotQ4x2}: one row after the other, as {@link #dotQ8x2}. */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o) {
        for (int k = 0; k < 2; k++) out[o + k] = dotQ4(w, k == 0 ? off0 : off1, qa, qo, da, corr, dOff, blocks); // one call site: inlined once
    }
}
