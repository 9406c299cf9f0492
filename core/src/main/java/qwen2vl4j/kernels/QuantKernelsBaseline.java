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
import jdk.incubator.vector.VectorSpecies;

/**
 * The first integer dot products of {@link QuantKernels}, kept only as the baseline that
 * {@code quant-bench} measures the current kernels against: one weight row per pass, pair sums of the
 * 16-bit products by shift, add and arithmetic shift. Same contract as {@link QuantKernelsScalar#dotQ8}
 * and {@link QuantKernelsScalar#dotQ4}; needs 512-bit vectors ({@link QuantKernels#SUPPORTED}).
 */
final class QuantKernelsBaseline {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int Q8 = 34;
    private static final int Q4 = 18;

    private QuantKernelsBaseline() {}

    /** Baseline twin of {@link QuantKernelsScalar#dotQ8}. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
            acc1 = blockQ8(w, off + Q8, qa, qo + (b + 1) * BLOCK, scale(w, off + Q8, da[dOff + b + 1]), acc1);
        }
        if (b < blocks) acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
        return acc0.add(acc1).reduceLanes(ADD);
    }

    private static float scale(MemorySegment w, long off, float da) {
        return Float.float16ToFloat(w.get(Matrix.SHORT_LE, off)) * da;
    }

    private static FloatVector blockQ8(MemorySegment w, long off, short[] qa, int qo, float s, FloatVector acc) {
        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B256, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S512, 0);
        IntVector p = q.mul(ShortVector.fromArray(S512, qa, qo)).reinterpretAsInts();
        return ((FloatVector) pairSums(p).convert(I2F, 0)).fma(FloatVector.broadcast(F512, s), acc);
    }

    private static IntVector pairSums(IntVector p) {
        return p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
    }

    /** Baseline twin of {@link QuantKernelsScalar#dotQ4}. */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0;
        float c = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q4) {
            float s0 = scale(w, off, da[dOff + b]), s1 = scale(w, off + Q4, da[dOff + b + 1]);
            acc0 = blockQ4(w, off, qa, qo + b * BLOCK, s0, acc0);
            acc1 = blockQ4(w, off + Q4, qa, qo + (b + 1) * BLOCK, s1, acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < blocks) {
            float s0 = scale(w, off, da[dOff + b]);
            acc0 = blockQ4(w, off, qa, qo + b * BLOCK, s0, acc0);
            c += s0 * corr[dOff + b];
        }
        return acc0.add(acc1).reduceLanes(ADD) + c;
    }

    private static FloatVector blockQ4(MemorySegment w, long off, short[] qa, int qo, float s, FloatVector acc) {
        IntVector q = (IntVector) ByteVector.fromMemorySegment(B128, w, off + 2, ByteOrder.LITTLE_ENDIAN).convertShape(B2I, I512, 0);
        IntVector pairs = q.and(0xF).or(q.lanewise(LSHL, 12).and(0xF0000));
        IntVector p = pairs.reinterpretAsShorts().mul(ShortVector.fromArray(S512, qa, qo)).reinterpretAsInts();
        return ((FloatVector) pairSums(p).convert(I2F, 0)).fma(FloatVector.broadcast(F512, s), acc);
    }
}
