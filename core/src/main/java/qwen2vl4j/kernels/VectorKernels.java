package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API versions of the hot loops. This is the only class that touches
 * {@code jdk.incubator.vector}; each method has a scalar twin in {@link ScalarKernels} that the
 * tests compare it against.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F} (half its bit width). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final int L = F.length();

    private VectorKernels() {}

    /** Σ a[ao+i]·b[bo+i] for i < n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0;
        int bound2 = n - 2 * L;
        for (; i <= bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(F, a, ao + i + L).fma(FloatVector.fromArray(F, b, bo + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** Σ bf16(w[wOff + i]) · x[xo+i]: a dot product straight from a mapped bf16 row ({@code wByteOff} in bytes). */
    static float dotBf16(MemorySegment w, long wByteOff, float[] x, int xo, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            acc0 = bf16Lanes(w, wByteOff + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
            acc1 = bf16Lanes(w, wByteOff + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = bf16Lanes(w, wByteOff + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += Float.intBitsToFloat((w.get(Matrix.SHORT_LE, wByteOff + 2L * i) & 0xFFFF) << 16) * x[xo + i];
        }
        return s;
    }

    private static FloatVector bf16Lanes(MemorySegment w, long byteOff) {
        ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, ByteOrder.LITTLE_ENDIAN);
        IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Widens {@code n} bf16 values at {@code byteOff} into {@code dst[off..]}. */
    static void bf16ToFloat(MemorySegment w, long byteOff, float[] dst, int off, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            bf16Lanes(w, byteOff + 2L * i).intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = Float.intBitsToFloat((w.get(Matrix.SHORT_LE, byteOff + 2L * i) & 0xFFFF) << 16);
        }
    }
}
