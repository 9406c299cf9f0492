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
 * The Vector API versions of the hot loops shared by the kernels (the GEMM, attention, vision and quantized
 * kernels have their own classes beside it; only {@code kernels} touches {@code jdk.incubator.vector}); each method has a plain twin in the tests ({@code MatMulReference},
 * {@code TextOpsReference}) that they compare it against.
 */
final class VectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F} (half its bit width). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final int L = F.length();

    private VectorKernels() {}

    /**
     * Four dot products of one vector with four consecutive rows: {@code sums[j] = Σ_c w[c] · x[x0 + j·n + c]} for
     * {@code j < 4}, {@code c < n}; each {@code w} vector is loaded once for the four. {@code sums} holds at least
     * {@code 4·L} floats: the accumulators are summed there lane by lane ({@link #laneSums}). The plain twin is
     * {@code MatMulReference.dot}, once per row.
     */
    static void dot4(float[] w, float[] x, int x0, int n, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int c = 0;
        for (; c <= n - L; c += L) {
            FloatVector v = FloatVector.fromArray(F, w, c);
            a0 = FloatVector.fromArray(F, x, x0 + c).fma(v, a0);
            a1 = FloatVector.fromArray(F, x, x1 + c).fma(v, a1);
            a2 = FloatVector.fromArray(F, x, x2 + c).fma(v, a2);
            a3 = FloatVector.fromArray(F, x, x3 + c).fma(v, a3);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, L);
        a2.intoArray(sums, 2 * L);
        a3.intoArray(sums, 3 * L);
        laneSums(sums, 4);
        for (; c < n; c++) {
            for (int j = 0; j < 4; j++) sums[j] += w[c] * x[x0 + j * n + c];
        }
    }

    /**
     * The first {@code vectors} entries of {@code lanes} become the sums of the vectors stored there
     * ({@code lanes[k·L .. k·L+L)}), each added in lane order. Not {@code reduceLanes(ADD)}, which may add in any
     * order and does: its result changed once C2 compiled a loop (the interpreter adds in lane order), so the same
     * product gave one bit pattern on a cold call and another on a warm one.
     */
    private static void laneSums(float[] lanes, int vectors) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int i = 0; i < L; i++) {
            s0 += lanes[i];
            s1 += lanes[L + i];
            s2 += lanes[2 * L + i];
            s3 += lanes[3 * L + i];
            if (vectors > 4) {
                s4 += lanes[4 * L + i];
                s5 += lanes[5 * L + i];
                s6 += lanes[6 * L + i];
                s7 += lanes[7 * L + i];
            }
        }
        lanes[0] = s0;
        lanes[1] = s1;
        lanes[2] = s2;
        lanes[3] = s3;
        if (vectors > 4) {
            lanes[4] = s4;
            lanes[5] = s5;
            lanes[6] = s6;
            lanes[7] = s7;
        }
    }

    /**
     * Eight dot products, two vectors with four consecutive rows: {@code sums[4·k + j] = Σ_c w[k·n + c] · x[x0 + j·n + c]}
     * for {@code k < 2}, {@code j < 4}, {@code c < n}; each input vector is loaded once for the two (eight accumulators
     * fit the 16 vector registers of AVX2). {@code sums} holds at least {@code 8·L} floats, as in {@link #dot4}. The
     * plain twin is {@code MatMulReference.dot}, once per pair.
     */
    static void dot2x4(float[] w, float[] x, int x0, int n, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        int c = 0;
        for (; c <= n - L; c += L) {
            FloatVector v = FloatVector.fromArray(F, w, c), u = FloatVector.fromArray(F, w, n + c);
            FloatVector y = FloatVector.fromArray(F, x, x0 + c);
            a0 = y.fma(v, a0);
            b0 = y.fma(u, b0);
            y = FloatVector.fromArray(F, x, x1 + c);
            a1 = y.fma(v, a1);
            b1 = y.fma(u, b1);
            y = FloatVector.fromArray(F, x, x2 + c);
            a2 = y.fma(v, a2);
            b2 = y.fma(u, b2);
            y = FloatVector.fromArray(F, x, x3 + c);
            a3 = y.fma(v, a3);
            b3 = y.fma(u, b3);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, L);
        a2.intoArray(sums, 2 * L);
        a3.intoArray(sums, 3 * L);
        b0.intoArray(sums, 4 * L);
        b1.intoArray(sums, 5 * L);
        b2.intoArray(sums, 6 * L);
        b3.intoArray(sums, 7 * L);
        laneSums(sums, 8);
        for (; c < n; c++) {
            for (int j = 0; j < 4; j++) {
                sums[j] += w[c] * x[x0 + j * n + c];
                sums[4 + j] += w[n + c] * x[x0 + j * n + c];
            }
        }
    }

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
     * so the result does not depend on how a range is split. The plain twin is {@code TextOpsReference.siluMul}.
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
}
