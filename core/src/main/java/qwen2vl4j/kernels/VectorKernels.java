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
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 4 * L; i += 4 * L) {
            long b = wByteOff + 2L * i;
            acc0 = bf16Lanes(w, b).fma(FloatVector.fromArray(F, x, xo + i), acc0);
            acc1 = bf16Lanes(w, b + 2L * L).fma(FloatVector.fromArray(F, x, xo + i + L), acc1);
            acc2 = bf16Lanes(w, b + 4L * L).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), acc2);
            acc3 = bf16Lanes(w, b + 6L * L).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), acc3);
        }
        for (; i <= n - L; i += L) {
            acc0 = bf16Lanes(w, wByteOff + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), acc0);
        }
        float s = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
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

    /** Weight rows per panel tile of the previous GEMM ({@link GemmBaseline}): two vectors. */
    static final int NR = 2 * L;

    /**
     * The micro-kernel of the previous GEMM ({@link GemmBaseline}, the bench's baseline) for six input rows against one packed panel tile of {@link #NR} weight rows:
     * {@code out[oOff + r·oStride + j] += Σ_{k<kc} x[xOff + r·xStride + k] · panel[pOff + k·NR + j]} for
     * {@code r < 6}, {@code j < NR}. Branch-free on purpose: the JIT keeps all twelve accumulators in
     * registers only while this method stays small.
     */
    static void gemm6(float[] x, int xOff, int xStride, float[] panel, int pOff, int kc,
                      float[] out, int oOff, int oStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a0 = xOff, a1 = a0 + xStride, a2 = a1 + xStride, a3 = a2 + xStride, a4 = a3 + xStride, a5 = a4 + xStride;
        for (int k = 0, p = pOff; k < kc; k++, p += NR) {
            FloatVector b0 = FloatVector.fromArray(F, panel, p);
            FloatVector b1 = FloatVector.fromArray(F, panel, p + L);
            FloatVector a = FloatVector.broadcast(F, x[a0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, x[a1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, x[a2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, x[a3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, x[a4 + k]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, x[a5 + k]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        int o = oOff;
        c00.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c01.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c10.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c11.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c20.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c21.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c30.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c31.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c40.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c41.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c50.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c51.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
    }

    /** {@link #gemm6} for a single input row (the rows left over after the blocks of six). */
    static void gemm1(float[] x, int xOff, float[] panel, int pOff, int kc, float[] out, int oOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int k = 0, p = pOff; k < kc; k++, p += NR) {
            FloatVector a = FloatVector.broadcast(F, x[xOff + k]);
            c0 = a.fma(FloatVector.fromArray(F, panel, p), c0);
            c1 = a.fma(FloatVector.fromArray(F, panel, p + L), c1);
        }
        c0.add(FloatVector.fromArray(F, out, oOff)).intoArray(out, oOff);
        c1.add(FloatVector.fromArray(F, out, oOff + L)).intoArray(out, oOff + L);
    }

    /** Σ of the floats in {@code [from, to)} bytes of {@code seg} (a streaming read; {@code to − from} a multiple of 4·L·4). */
    static float sumFloats(MemorySegment seg, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = 4L * F.vectorByteSize();
        for (long o = from; o + step <= to; o += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, o + F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, o + 2L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, o + 3L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Independent multiply-add chains kept in registers by {@link #fmaChains}: with two FMA ports of
     * four cycles' latency eight would do; 24 (of the 32 vector registers) measured a few percent
     * more than 12 on this machine's Xeon, so the probe errs on the side of the true peak.
     */
    static final int FMA_CHAINS = 24;

    /** {@code iterations} rounds of {@link #FMA_CHAINS} independent vector FMAs: the arithmetic peak. */
    static float fmaChains(long iterations) {
        FloatVector m = FloatVector.broadcast(F, 0.999999f), c = FloatVector.broadcast(F, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(F, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        FloatVector a16 = a0, a17 = a0, a18 = a0, a19 = a0, a20 = a0, a21 = a0, a22 = a0, a23 = a0;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
            a12 = a12.fma(m, c);
            a13 = a13.fma(m, c);
            a14 = a14.fma(m, c);
            a15 = a15.fma(m, c);
            a16 = a16.fma(m, c);
            a17 = a17.fma(m, c);
            a18 = a18.fma(m, c);
            a19 = a19.fma(m, c);
            a20 = a20.fma(m, c);
            a21 = a21.fma(m, c);
            a22 = a22.fma(m, c);
            a23 = a23.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .add(a12).add(a13).add(a14).add(a15).add(a16).add(a17).add(a18).add(a19).add(a20).add(a21).add(a22).add(a23)
                .reduceLanes(VectorOperators.ADD);
    }
}
