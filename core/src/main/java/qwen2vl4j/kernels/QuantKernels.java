package qwen2vl4j.kernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.MAX;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.io.DType;

/**
 * The Vector API dot products of block-quantized weight rows (GGUF Q8_0 and Q4_0, see
 * {@link QuantKernelsScalar}) with an activation row quantized to 8 bits per block of 32, as ggml's
 * {@code vec_dot_q8_0_q8_0} and {@code vec_dot_q4_0_q8_0} do; each has its scalar twin in
 * {@link QuantKernelsScalar}. The Vector API has no int8 dot-product instruction, so blocks are
 * computed with 16-bit lanes: weights widened byte→short, multiplied by the activation's shorts
 * (|product| ≤ 127² fits a short), summed into exact 32-bit lanes, converted to float once per block
 * and multiplied by {@code d_w·d_a} in one FMA. The integer part is exact.
 *
 * <p>Each width has its own formulation, chosen once from the CPU's preferred vector size
 * ({@link #BITS}): {@link QuantKernels512} (one Q8_0 block, or two Q4_0 blocks, per vector),
 * {@link QuantKernels256} (AVX2) and {@link QuantKernels128} (SSE, NEON); the methods here dispatch on
 * the constant, which the JIT folds away. Below 128 bits (no vectors) they run the scalar twins. The
 * {@code x2} versions do two weight rows per call, sharing the activation loads where that pays. The
 * dequantizer is written once for any width. (The benchmark's older variants, the first integer kernels
 * and the naive widening to f32, live with it in {@code qwen2vl4j.cli.bench}.)
 */
final class QuantKernels {
    /** The width the kernels run at: the preferred vector size, at most 512 bits; 0 below 128 bits (the scalar twins run). */
    static final int BITS = width(FloatVector.SPECIES_PREFERRED.vectorBitSize());
    /** Whether the kernels here run vector code ({@link #BITS} ≥ 128). */
    static final boolean VECTOR = BITS >= 128;
    /** The order of a Q4_0 activation row for {@link #dotQ4} and {@link #dotQ4x2} at {@link #BITS}. */
    static final QuantKernelsScalar.Q4Order Q4_ORDER = BITS == 512 ? QuantKernelsScalar.Q4Order.PAIRED : QuantKernelsScalar.Q4Order.FOLDED;

    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(128, BITS)));
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int FL = F.length();
    /**
     * The byte loads of the dequantizer: one per float vector, of {@code FL} bytes, but at least 8
     * (the smallest byte vector); at 128 bits an 8-byte load of which the first 4 are widened (taking
     * the second half of a load instead costs a slice, which is not a single instruction everywhere).
     */
    private static final VectorSpecies<Byte> BF = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * Math.max(8, FL)));
    /** Bytes a load of {@link #BF} reads past the ones it widens: 4 at 128 bits, else 0. */
    private static final int OVERREAD = BF.length() - FL;
    /** Shorts as many as {@link #FL}: a vector of quantized activations narrowed for storing. */
    private static final VectorSpecies<Short> SF = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(128, BITS) / 2));
    private static final int BLOCK = QuantKernelsScalar.BLOCK;
    private static final int HALF = BLOCK / 2;
    private static final int Q8 = 34;

    private QuantKernels() {}

    private static int width(int preferred) {
        return preferred >= 512 ? 512 : preferred >= 256 ? 256 : preferred >= 128 ? 128 : 0;
    }

    /** Vector twin of {@link QuantKernelsScalar#dotQ8}: one weight row. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        return switch (BITS) {
            case 512 -> QuantKernels512.dotQ8(w, off, qa, qo, da, dOff, blocks);
            case 256 -> QuantKernels256.dotQ8(w, off, qa, qo, da, dOff, blocks);
            case 128 -> QuantKernels128.dotQ8(w, off, qa, qo, da, dOff, blocks);
            default -> QuantKernelsScalar.dotQ8(w, off, qa, qo, da, dOff, blocks);
        };
    }

    /**
     * Two Q8_0 weight rows (at {@code off0} and {@code off1}) against one activation row, into
     * {@code out[o]} and {@code out[o + 1]}. Each equals {@link #dotQ8} of its row. The 512-bit form
     * loads each activation vector and scale once for both rows, with independent accumulators; the
     * 256- and 128-bit forms take the rows one after the other (see theirs).
     */
    static void dotQ8x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, int dOff, int blocks, float[] out, int o) {
        switch (BITS) {
            case 512 -> QuantKernels512.dotQ8x2(w, off0, off1, qa, qo, da, dOff, blocks, out, o);
            case 256 -> QuantKernels256.dotQ8x2(w, off0, off1, qa, qo, da, dOff, blocks, out, o);
            case 128 -> QuantKernels128.dotQ8x2(w, off0, off1, qa, qo, da, dOff, blocks, out, o);
            default -> {
                out[o] = QuantKernelsScalar.dotQ8(w, off0, qa, qo, da, dOff, blocks);
                out[o + 1] = QuantKernelsScalar.dotQ8(w, off1, qa, qo, da, dOff, blocks);
            }
        }
    }

    /** The length of the {@code scales} scratch that {@link #dotQ4} and {@link #dotQ4x2} take for rows of {@code blocks} blocks. */
    static int q4Scratch(int blocks) {
        return 2 * blocks + 16;
    }

    /**
     * Vector twin of {@link QuantKernelsScalar#dotQ4}, the activation in {@link #Q4_ORDER}: one planar weight row;
     * {@code scales} is scratch of {@link #q4Scratch} floats.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks, float[] scales) {
        return switch (BITS) {
            case 512 -> QuantKernels512.dotQ4(w, off, qa, qo, da, corr, dOff, blocks);
            case 256 -> QuantKernels256.dotQ4(w, off, qa, qo, da, corr, dOff, blocks, scales);
            case 128 -> QuantKernels128.dotQ4(w, off, qa, qo, da, corr, dOff, blocks);
            default -> QuantKernelsScalar.dotQ4(Q4_ORDER, w, off, qa, qo, da, corr, dOff, blocks);
        };
    }

    /**
     * Two planar Q4_0 weight rows against one activation row (in {@link #Q4_ORDER}), into {@code out[o]} and
     * {@code out[o + 1]}; as {@link #dotQ8x2}. {@code scales} is scratch of {@link #q4Scratch} floats.
     */
    static void dotQ4x2(MemorySegment w, long off0, long off1, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks,
                        float[] out, int o, float[] scales) {
        switch (BITS) {
            case 512 -> QuantKernels512.dotQ4x2(w, off0, off1, qa, qo, da, corr, dOff, blocks, out, o);
            case 256 -> QuantKernels256.dotQ4x2(w, off0, off1, qa, qo, da, corr, dOff, blocks, out, o, scales);
            case 128 -> QuantKernels128.dotQ4x2(w, off0, off1, qa, qo, da, corr, dOff, blocks, out, o);
            default -> {
                out[o] = QuantKernelsScalar.dotQ4(Q4_ORDER, w, off0, qa, qo, da, corr, dOff, blocks);
                out[o + 1] = QuantKernelsScalar.dotQ4(Q4_ORDER, w, off1, qa, qo, da, corr, dOff, blocks);
            }
        }
    }

    /**
     * Vector twin of {@link QuantKernelsScalar#quantizeActivation}, bit for bit the same shorts, scales and corrections
     * (the scalar twin where the CPU has no vectors): per block the largest magnitude by a vector max, then each
     * half block {@code FL} values at a time, rounded halves away from zero (the sign put back on {@code |v| + 0.5}
     * before a truncating conversion, which is {@code copySign(floor(|v| + 0.5), v)} for every input, infinities and
     * NaN included), narrowed to shorts and stored where {@code order} puts them; the high half folded for
     * {@code FOLDED} and {@code PAIRED}. A decode step quantizes every input of its quantized products, 0.4 million
     * values, on the calling thread while the pool waits.
     */
    static void quantizeActivation(DType type, QuantKernelsScalar.Q4Order order, float[] x, int xo, int n, short[] qa, int qo, float[] da,
                                   float[] corr, int dOff) {
        if (!VECTOR) {
            QuantKernelsScalar.quantizeActivation(type, order, x, xo, n, qa, qo, da, corr, dOff);
            return;
        }
        int blocks = n / BLOCK;
        boolean q4 = type == DType.Q4_0, folded = q4 && order != QuantKernelsScalar.Q4Order.NATURAL;
        for (int b = 0; b < blocks; b++) {
            int base = xo + b * BLOCK;
            FloatVector largest = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += FL) largest = largest.max(FloatVector.fromArray(F, x, base + j).abs());
            float d = largest.reduceLanes(MAX) / 127;
            float id = d != 0 ? 1f / d : 0f;
            da[dOff + b] = d;
            int low = qo + (q4 ? QuantKernelsScalar.q4Position(order, b, 0, blocks) : b * BLOCK);
            int high = qo + (q4 ? QuantKernelsScalar.q4Position(order, b, HALF, blocks) : b * BLOCK + HALF);
            IntVector sum = IntVector.zero(I);
            for (int h = 0; h < HALF; h += FL) {
                IntVector lo = rounded(x, base + h, id), hi = rounded(x, base + HALF + h, id);
                sum = sum.add(lo).add(hi);
                ((ShortVector) lo.convertShape(I2S, SF, 0)).intoArray(qa, low + h);
                ((ShortVector) (folded ? hi.sub(lo.lanewise(LSHL, 4)) : hi).convertShape(I2S, SF, 0)).intoArray(qa, high + h);
            }
            if (q4) corr[dOff + b] = -8f * sum.reduceLanes(ADD);
        }
    }

    /** {@code x[at .. at+FL)} times {@code id}, rounded as {@link QuantKernelsScalar#roundHalfAway}. */
    private static IntVector rounded(float[] x, int at, float id) {
        FloatVector v = FloatVector.fromArray(F, x, at).mul(id);
        FloatVector signedHalfUp = v.abs().add(0.5f).reinterpretAsInts().or(v.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
        return (IntVector) signedHalfUp.convert(F2I, 0);
    }

    /** The f16 scale of the block at {@code off}. */
    static float scale(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(Matrix.SHORT_LE, off));
    }

    /**
     * The 16-bit products as sums of adjacent pairs in 32-bit lanes, each times 2¹⁶; exact when every
     * pair sum fits 16 bits (then the int and its float are exact). Lane {@code (hi, lo)} plus itself
     * shifted left by 16 holds {@code hi + lo} in its upper half (the carries of the unsigned low half
     * cancel modulo 2³²), and the mask clears the low half: a shift and two bitwise-cheap ops, no
     * arithmetic shift, which on 512-bit vectors shares a single port with the multiply.
     */
    static IntVector shiftedPairSums(ShortVector products) {
        IntVector p = products.reinterpretAsInts();
        return p.add(p.lanewise(LSHL, 16)).and(0xFFFF0000);
    }

    /**
     * Adjacent 16-bit lanes {@code (hi, lo)} summed exactly into one 32-bit lane, whatever their size:
     * {@code hi} by an arithmetic shift right, {@code lo} by a shift left and back. For lanes that
     * already hold two products each (≤ 2·127²), whose pair sums (≤ 4·127²) no longer fit the 16 bits
     * {@link #shiftedPairSums} keeps them in.
     */
    static IntVector pairSums(ShortVector s) {
        IntVector p = s.reinterpretAsInts();
        return p.lanewise(ASHR, 16).add(p.lanewise(LSHL, 16).lanewise(ASHR, 16));
    }

    /** {@code FL} bytes at {@code at}, sign-extended to floats. */
    private static FloatVector widen(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(BF, w, at, ByteOrder.LITTLE_ENDIAN).convertShape(B2F, F, 0);
    }

    /** {@code FL} bytes at {@code at}, sign-extended to ints (a Q4_0 byte's nibbles are masked off afterwards). */
    private static IntVector widenToInts(MemorySegment w, long at) {
        return (IntVector) ByteVector.fromMemorySegment(BF, w, at, ByteOrder.LITTLE_ENDIAN).convertShape(B2I, I, 0);
    }

    /**
     * Widens {@code n} values from block {@code from} of the row of {@code blocks} blocks of {@code type} at
     * {@code src[row..]} into {@code dst[dOff..]}, with the vector kernel, or with the scalar twin where the CPU has
     * no vectors.
     */
    static void dequantizeRow(DType type, MemorySegment src, long row, int blocks, int from, float[] dst, int dOff, int n) {
        if (VECTOR) dequantize(type, src, row, blocks, from, dst, dOff, n);
        else QuantKernelsScalar.dequantize(type, src, row, blocks, from, dst, dOff, n);
    }

    /** {@link #dequantize(DType, MemorySegment, long, int, int, float[], int, int)} of a whole row of {@code n} values. */
    static void dequantize(DType type, MemorySegment src, long row, float[] dst, int dOff, int n) {
        dequantize(type, src, row, n / BLOCK, 0, dst, dOff, n);
    }

    /**
     * Vector twin of {@link QuantKernelsScalar#dequantize}: {@code n / 32} blocks from block {@code from} of the row
     * at {@code src[row..]} into {@code dst[dOff..]}, one float vector of values per step (bytes widened to float,
     * one multiply by the scale: bit-exact with the twin). A block whose loads would read past the end of the
     * segment ({@link #OVERREAD}, the last one of a segment) is left to the scalar twin.
     */
    static void dequantize(DType type, MemorySegment src, long row, int blocks, int from, float[] dst, int dOff, int n) {
        int to = from + n / BLOCK;
        for (int b = from; b < to; b++) {
            int o = dOff + (b - from) * BLOCK;
            long values = type == DType.Q8_0 ? row + (long) b * Q8 + 2 : QuantKernelsScalar.q4Quants(row, blocks, b);
            if (values + (type == DType.Q8_0 ? BLOCK : HALF) + OVERREAD > src.byteSize()) {
                QuantKernelsScalar.dequantize(type, src, row, blocks, b, dst, o, BLOCK);
            } else if (type == DType.Q8_0) {
                FloatVector d = FloatVector.broadcast(F, scale(src, values - 2));
                for (int j = 0; j < BLOCK; j += FL) widen(src, values + j).mul(d).intoArray(dst, o + j);
            } else {
                FloatVector d = FloatVector.broadcast(F, scale(src, QuantKernelsScalar.q4Scale(row, b)));
                for (int j = 0; j < HALF; j += FL) {
                    IntVector q = widenToInts(src, values + j);
                    ((FloatVector) q.and(0xF).sub(8).convert(I2F, 0)).mul(d).intoArray(dst, o + j);
                    ((FloatVector) q.lanewise(LSHR, 4).and(0xF).sub(8).convert(I2F, 0)).mul(d).intoArray(dst, o + HALF + j);
                }
            }
        }
    }
}
