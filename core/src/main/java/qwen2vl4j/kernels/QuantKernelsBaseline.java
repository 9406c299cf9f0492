package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The first integer dot products of {@link QuantKernels}, kept only as the baseline that
 * {@code quant-bench} measures the current kernels against: one weight row per pass, each short vector
 * of products paired into 32-bit lanes by shift, add and arithmetic shift, converted and scaled on its
 * own. Written once for any width ({@link QuantKernels#BITS}; the scalar twins below 128 bits): a
 * block is {@code 32 / shorts-per-vector} parts. Q4_0 bytes are widened to ints and a byte's two
 * nibbles put side by side as shorts, against the activation in
 * {@link QuantKernelsScalar.Q4Order#INTERLEAVED} order, which is the same at every width. Same contract
 * as {@link QuantKernelsScalar#dotQ8} and {@link QuantKernelsScalar#dotQ4}.
 */
final class QuantKernelsBaseline {
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(128, QuantKernels.BITS)));
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S = F.withLanes(short.class);
    /** Bytes widened to one vector of shorts: half the width. */
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Bytes of a Q4_0 load: one per int lane, at least 8 (the smallest byte vector; at 128 bits the first 4 are widened). */
    private static final VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * I.length())));
    /** Bytes a load of {@link #BI} reads past the ones it widens: 4 at 128 bits, else 0. */
    private static final int OVERREAD = BI.length() - I.length();
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int Q8 = 34;
    private static final int Q4 = 18;

    private QuantKernelsBaseline() {}

    /** Baseline twin of {@link QuantKernelsScalar#dotQ8}. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        if (!QuantKernels.VECTOR) return QuantKernelsScalar.dotQ8(w, off, qa, qo, da, dOff, blocks);
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
            acc1 = blockQ8(w, off + Q8, qa, qo + (b + 1) * BLOCK, scale(w, off + Q8, da[dOff + b + 1]), acc1);
        }
        if (b < blocks) acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
        return acc0.add(acc1).reduceLanes(ADD);
    }

    private static float scale(MemorySegment w, long off, float da) {
        return QuantKernels.scale(w, off) * da;
    }

    private static FloatVector blockQ8(MemorySegment w, long off, short[] qa, int qo, float s, FloatVector acc) {
        FloatVector scale = FloatVector.broadcast(F, s);
        for (int j = 0; j < BLOCK; j += S.length()) {
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BS, w, off + 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S, 0);
            IntVector p = q.mul(ShortVector.fromArray(S, qa, qo + j)).reinterpretAsInts();
            acc = ((FloatVector) pairSums(p).convert(I2F, 0)).fma(scale, acc);
        }
        return acc;
    }

    private static IntVector pairSums(IntVector p) {
        return p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
    }

    /** Baseline twin of {@link QuantKernelsScalar#dotQ4} (activation in {@code INTERLEAVED} order). */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        if (!QuantKernels.VECTOR) {
            return QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.INTERLEAVED, w, off, qa, qo, da, corr, dOff, blocks);
        }
        // the last block of the segment by the scalar twin where a load would read past its end
        int vb = OVERREAD > 0 && blocks > 0 && off + (long) blocks * Q4 + OVERREAD > w.byteSize() ? blocks - 1 : blocks;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        float c = 0;
        int b = 0;
        for (; b + 1 < vb; b += 2, off += 2 * Q4) {
            float s0 = scale(w, off, da[dOff + b]), s1 = scale(w, off + Q4, da[dOff + b + 1]);
            acc0 = blockQ4(w, off, qa, qo + b * BLOCK, s0, acc0);
            acc1 = blockQ4(w, off + Q4, qa, qo + (b + 1) * BLOCK, s1, acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < vb) {
            float s0 = scale(w, off, da[dOff + b]);
            acc0 = blockQ4(w, off, qa, qo + b * BLOCK, s0, acc0);
            c += s0 * corr[dOff + b];
            b++;
            off += Q4;
        }
        if (b < blocks) c += QuantKernelsScalar.dotQ4(QuantKernelsScalar.Q4Order.INTERLEAVED, w, off, qa, qo + b * BLOCK, da, corr, dOff + b, 1);
        return acc0.add(acc1).reduceLanes(ADD) + c;
    }

    /** Bytes {@code j..} of the block widened to ints; each int {@code (hi nibble << 16 | lo nibble)} is the short pair (lo, hi). */
    private static FloatVector blockQ4(MemorySegment w, long off, short[] qa, int qo, float s, FloatVector acc) {
        FloatVector scale = FloatVector.broadcast(F, s);
        for (int j = 0; j < BLOCK / 2; j += I.length()) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BI, w, off + 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(B2I, I, 0);
            IntVector pairs = q.and(0xF).or(q.lanewise(LSHL, 12).and(0xF0000));
            IntVector p = pairs.reinterpretAsShorts().mul(ShortVector.fromArray(S, qa, qo + 2 * j)).reinterpretAsInts();
            acc = ((FloatVector) pairSums(p).convert(I2F, 0)).fma(scale, acc);
        }
        return acc;
    }
}
