package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
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

    /** Bf16 weights per {@link IntVector} of {@link #I}: each int lane holds two, the even one in its low half. */
    static final int BF16_PER_INT_VECTOR = 2 * I.length();
    private static final int HIGH_HALF = 0xFFFF0000;

    /**
     * Σ bf16(w[i]) · x[i] for i < n, with x given de-interleaved (see {@link #deinterleave}): {@code even[j] = x[2j]},
     * {@code odd[j] = x[2j+1]}. Each 512-bit load holds 32 weights as 16 int lanes; shifting a lane left by 16 gives
     * its even weight as a float, masking off its low half gives the odd one, so nothing crosses lanes.
     */
    static float dotBf16Pairs(MemorySegment w, long wByteOff, float[] even, float[] odd, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int step = BF16_PER_INT_VECTOR, bytes = I.vectorByteSize();
        int i = 0;
        for (; i <= n - 2 * step; i += 2 * step) {
            long b = wByteOff + 2L * i;
            int j = i >>> 1;
            IntVector v0 = IntVector.fromMemorySegment(I, w, b, ByteOrder.LITTLE_ENDIAN);
            IntVector v1 = IntVector.fromMemorySegment(I, w, b + bytes, ByteOrder.LITTLE_ENDIAN);
            a0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, even, j), a0);
            a1 = v0.and(HIGH_HALF).reinterpretAsFloats().fma(FloatVector.fromArray(F, odd, j), a1);
            a2 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, even, j + L), a2);
            a3 = v1.and(HIGH_HALF).reinterpretAsFloats().fma(FloatVector.fromArray(F, odd, j + L), a3);
        }
        for (; i <= n - step; i += step) {
            int j = i >>> 1;
            IntVector v = IntVector.fromMemorySegment(I, w, wByteOff + 2L * i, ByteOrder.LITTLE_ENDIAN);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, even, j), a0);
            a1 = v.and(HIGH_HALF).reinterpretAsFloats().fma(FloatVector.fromArray(F, odd, j), a1);
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) + pairTail(w, wByteOff, even, odd, i, n);
    }

    /** Weight rows {@link #dotBf16Rows} reads at once: as many independent memory streams per thread. */
    static final int ROW_STREAMS = 8;

    /**
     * {@link #dotBf16Pairs} of {@link #ROW_STREAMS} rows at once: row {@code k} starts at byte
     * {@code wByteOff + k·strideBytes} and its dot product goes to {@code out[outOff + k·outStride]}. The rows lie far
     * apart, so the thread keeps that many sequential streams in flight (the prefetchers follow each), and every
     * input vector loaded serves all of them.
     */
    static void dotBf16Rows(MemorySegment w, long wByteOff, long strideBytes, float[] even, float[] odd, int n,
                            float[] out, int outOff, int outStride) {
        long o0 = wByteOff, o1 = o0 + strideBytes, o2 = o1 + strideBytes, o3 = o2 + strideBytes;
        long o4 = o3 + strideBytes, o5 = o4 + strideBytes, o6 = o5 + strideBytes, o7 = o6 + strideBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int step = BF16_PER_INT_VECTOR;
        int i = 0;
        for (; i <= n - step; i += step) {
            int j = i >>> 1;
            long b = 2L * i;
            FloatVector xe = FloatVector.fromArray(F, even, j), xo = FloatVector.fromArray(F, odd, j);
            // written out, not through a helper: the JIT would not inline eight copies of one, and vectors
            // passed to a call that is not inlined are boxed
            IntVector v;
            v = IntVector.fromMemorySegment(I, w, o0 + b, ByteOrder.LITTLE_ENDIAN);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a0));
            v = IntVector.fromMemorySegment(I, w, o1 + b, ByteOrder.LITTLE_ENDIAN);
            a1 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a1));
            v = IntVector.fromMemorySegment(I, w, o2 + b, ByteOrder.LITTLE_ENDIAN);
            a2 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a2));
            v = IntVector.fromMemorySegment(I, w, o3 + b, ByteOrder.LITTLE_ENDIAN);
            a3 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a3));
            v = IntVector.fromMemorySegment(I, w, o4 + b, ByteOrder.LITTLE_ENDIAN);
            a4 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a4));
            v = IntVector.fromMemorySegment(I, w, o5 + b, ByteOrder.LITTLE_ENDIAN);
            a5 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a5));
            v = IntVector.fromMemorySegment(I, w, o6 + b, ByteOrder.LITTLE_ENDIAN);
            a6 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a6));
            v = IntVector.fromMemorySegment(I, w, o7 + b, ByteOrder.LITTLE_ENDIAN);
            a7 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, v.and(HIGH_HALF).reinterpretAsFloats().fma(xo, a7));
        }
        out[outOff] = a0.reduceLanes(VectorOperators.ADD) + pairTail(w, o0, even, odd, i, n);
        out[outOff + outStride] = a1.reduceLanes(VectorOperators.ADD) + pairTail(w, o1, even, odd, i, n);
        out[outOff + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD) + pairTail(w, o2, even, odd, i, n);
        out[outOff + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD) + pairTail(w, o3, even, odd, i, n);
        out[outOff + 4 * outStride] = a4.reduceLanes(VectorOperators.ADD) + pairTail(w, o4, even, odd, i, n);
        out[outOff + 5 * outStride] = a5.reduceLanes(VectorOperators.ADD) + pairTail(w, o5, even, odd, i, n);
        out[outOff + 6 * outStride] = a6.reduceLanes(VectorOperators.ADD) + pairTail(w, o6, even, odd, i, n);
        out[outOff + 7 * outStride] = a7.reduceLanes(VectorOperators.ADD) + pairTail(w, o7, even, odd, i, n);
    }

    /** The scalar rest {@code Σ_{from ≤ i < n}} of a {@link #dotBf16Pairs} row. */
    private static float pairTail(MemorySegment w, long wByteOff, float[] even, float[] odd, int from, int n) {
        float s = 0;
        for (int i = from; i < n; i++) {
            float wi = Float.intBitsToFloat((w.get(Matrix.SHORT_LE, wByteOff + 2L * i) & 0xFFFF) << 16);
            s += wi * ((i & 1) == 0 ? even[i >>> 1] : odd[i >>> 1]);
        }
        return s;
    }

    /** Splits {@code x[xo .. xo+n)} into {@code even[j] = x[xo+2j]} ({@code (n+1)/2} values) and {@code odd[j] = x[xo+2j+1]} ({@code n/2}). */
    static void deinterleave(float[] x, int xo, int n, float[] even, float[] odd) {
        for (int j = 0; 2 * j + 1 < n; j++) {
            even[j] = x[xo + 2 * j];
            odd[j] = x[xo + 2 * j + 1];
        }
        if ((n & 1) == 1) even[n >>> 1] = x[xo + n - 1];
    }

    private static FloatVector bf16Lanes(MemorySegment w, long byteOff) {
        ShortVector s = ShortVector.fromMemorySegment(S, w, byteOff, ByteOrder.LITTLE_ENDIAN);
        IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * SwiGLU in place on {@code [from, to)}: {@code gate[i] = gate[i] / (1 + e^(−gate[i])) · up[i]} in float32
     * lanes, with the kernels' own {@link VisionVectorKernels#exp} (≤ 2 ulp; never lane {@code EXP}, whose bits
     * change once the JIT compiles the loop). Every element takes the same lane arithmetic, the tail under a mask,
     * so the result does not depend on how a range is split. The scalar twin is {@link TextOps#siluMul}.
     */
    static void siluMul(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            siluMul(FloatVector.fromArray(F, gate, i), FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            siluMul(FloatVector.fromArray(F, gate, i, m), FloatVector.fromArray(F, up, i, m)).intoArray(gate, i, m);
        }
    }

    private static FloatVector siluMul(FloatVector g, FloatVector u) {
        return g.div(VisionVectorKernels.exp(g.neg()).add(1f)).mul(u);
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

    /** Sequential streams {@link #sumFloatStreams} reads side by side. */
    static final int SUM_STREAMS = 4;

    /**
     * Σ of the floats in {@code [from, to)} bytes of {@code seg} read as {@link #SUM_STREAMS} streams side by side (the
     * range cut into that many equal stretches, as the GEMV reads several rows at once); a rest shorter than
     * {@code SUM_STREAMS · 2} vectors at the end of each stretch is not read.
     */
    static float sumFloatStreams(MemorySegment seg, long from, long to) {
        int vb = F.vectorByteSize();
        long q = (to - from) / SUM_STREAMS / (2L * vb) * (2L * vb);
        long b0 = from, b1 = b0 + q, b2 = b1 + q, b3 = b2 + q;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (long o = 0; o < q; o += 2L * vb) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, b0 + o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, b0 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, b1 + o, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, b1 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a4 = a4.add(FloatVector.fromMemorySegment(F, seg, b2 + o, ByteOrder.LITTLE_ENDIAN));
            a5 = a5.add(FloatVector.fromMemorySegment(F, seg, b2 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a6 = a6.add(FloatVector.fromMemorySegment(F, seg, b3 + o, ByteOrder.LITTLE_ENDIAN));
            a7 = a7.add(FloatVector.fromMemorySegment(F, seg, b3 + o + vb, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).reduceLanes(VectorOperators.ADD);
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
