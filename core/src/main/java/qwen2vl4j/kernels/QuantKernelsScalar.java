package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.QuantizedTensors;

/**
 * Plain-Java block quantization: the GGUF reference quantizers for weights (ggml's
 * {@code quantize_row_q8_0_ref} and {@code quantize_row_q4_0_ref}), their dequantizers, the Q8
 * quantization of an activation row, and the scalar twins of the integer dot products in
 * {@link QuantKernels}, which the tests compare those against.
 *
 * <p>A block is 32 consecutive values of a row. Q8_0 stores it in 34 bytes: the f16 scale {@code d}
 * ({@code max|x| / 127}) and 32 int8 {@code q = round(x / d)}; a row is its blocks one after the other,
 * as in GGUF. Q4_0 stores it in 18 bytes: the f16 scale {@code d = m / −8}, {@code m} the value of
 * largest magnitude with its sign, and 16 bytes whose low nibbles hold values 0..15 and high nibbles
 * values 16..31, each {@code q = min(15, trunc(x/d + 8.5))}, value {@code d·(q − 8)}. A Q4_0 row of
 * {@code B} blocks is planar: first the {@code B} f16 scales ({@link #q4Scale}), so that a kernel loads eight
 * at once, then the {@code B × 16} bytes of nibbles, the same 18 bytes per block as GGUF's interleaved blocks.
 * The nibbles are grouped by eight blocks ({@link #q4Byte}): a group is four 32-byte chunks, chunk {@code k}
 * holding bytes {@code 4k..4k+3} of each of its eight blocks in turn, so that one 256-bit load has two 16-bit
 * lanes of every block of the group and the eight blocks' sums come out in eight lanes, to be scaled by the
 * eight scales as one vector; the blocks past the last whole group keep their 16 bytes in order.
 * Activations are quantized per block like Q8_0 but keep a float scale, widened to shorts in the order
 * each kernel reads them ({@link Q4Order}).
 */
final class QuantKernelsScalar {
    /** Values per block. */
    static final int BLOCK = 32;

    private QuantKernelsScalar() {}

    /** ggml's roundf: halves away from zero. */
    static int roundHalfAway(float v) {
        return (int) Math.copySign((float) Math.floor(Math.abs(v) + 0.5f), v);
    }

    /** Byte offset of the f16 scale of block {@code b} of the planar Q4_0 row at {@code row}. */
    static long q4Scale(long row, int b) {
        return row + 2L * b;
    }

    /** Blocks per group of a Q4_0 row's nibbles (see {@link #q4Byte}). */
    static final int GROUP = QuantizedTensors.GROUP;

    /** The blocks of a row of {@code blocks} blocks that lie in whole groups of {@link #GROUP}. */
    static int grouped(int blocks) {
        return blocks & -GROUP;
    }

    /**
     * Byte offset of byte {@code m} (0..15: values {@code m} and {@code 16 + m} in its low and high nibble) of
     * block {@code b} of the planar Q4_0 row at {@code row}, of {@code blocks} blocks: in a whole group of
     * {@link #GROUP} blocks, chunk {@code m / 4} of the group holds bytes {@code 4·(m / 4) ..} of its blocks
     * side by side, 4 bytes each; past the last whole group a block's 16 bytes lie in order
     * ({@link QuantizedTensors#q4Nibble}, the layout the files hold).
     */
    static long q4Byte(long row, int blocks, int b, int m) {
        return QuantizedTensors.q4Nibble(row, blocks, b, m);
    }

    /** Quantizes {@code x[xo .. xo+n)} ({@code n} a multiple of 32) into Q8_0 blocks at {@code dst[off..]}. */
    static void quantizeQ8_0(float[] x, int xo, int n, MemorySegment dst, long off) {
        for (int b = 0; b < n / BLOCK; b++, off += DType.Q8_0.bytes()) {
            int base = xo + b * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[base + j]));
            float d = amax / 127;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(Matrix.SHORT_LE, off, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK; j++) dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) roundHalfAway(x[base + j] * id));
        }
    }

    /** Quantizes the row {@code x[xo .. xo+n)} ({@code n} a multiple of 32) into a planar Q4_0 row at {@code dst[off..]}. */
    static void quantizeQ4_0(float[] x, int xo, int n, MemorySegment dst, long off) {
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b++) {
            int base = xo + b * BLOCK;
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = x[base + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(Matrix.SHORT_LE, q4Scale(off, b), Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(15, (byte) (x[base + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (x[base + BLOCK / 2 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, q4Byte(off, blocks, b, j), (byte) (lo | hi << 4));
            }
        }
    }

    /** Quantizes the row of {@code n} values {@code x[xo..]} into a row of blocks of {@code type} (Q8_0 or Q4_0) at {@code dst[off..]}. */
    static void quantize(DType type, float[] x, int xo, int n, MemorySegment dst, long off) {
        switch (type) {
            case Q8_0 -> quantizeQ8_0(x, xo, n, dst, off);
            case Q4_0 -> quantizeQ4_0(x, xo, n, dst, off);
            default -> throw new IllegalArgumentException("not a quantized type: " + type);
        }
    }

    /** Widens the row of {@code n} values of {@code type} at {@code src[off..]} into {@code dst[dOff .. dOff+n)}. */
    static void dequantize(DType type, MemorySegment src, long off, float[] dst, int dOff, int n) {
        dequantize(type, src, off, n / BLOCK, 0, dst, dOff, n);
    }

    /**
     * Widens the {@code n / 32} blocks from block {@code from} of the row of {@code blocks} blocks of {@code type}
     * at {@code src[row..]} into {@code dst[dOff .. dOff+n)}.
     */
    static void dequantize(DType type, MemorySegment src, long row, int blocks, int from, float[] dst, int dOff, int n) {
        for (int b = from; b < from + n / BLOCK; b++) {
            int o = dOff + (b - from) * BLOCK;
            if (type == DType.Q8_0) {
                long off = row + (long) b * type.bytes();
                float d = Float.float16ToFloat(src.get(Matrix.SHORT_LE, off));
                for (int j = 0; j < BLOCK; j++) dst[o + j] = d * src.get(ValueLayout.JAVA_BYTE, off + 2 + j);
            } else {
                float d = Float.float16ToFloat(src.get(Matrix.SHORT_LE, q4Scale(row, b)));
                for (int j = 0; j < BLOCK / 2; j++) {
                    int q = src.get(ValueLayout.JAVA_BYTE, q4Byte(row, blocks, b, j)) & 0xFF;
                    dst[o + j] = d * ((q & 0xF) - 8);
                    dst[o + BLOCK / 2 + j] = d * ((q >>> 4) - 8);
                }
            }
        }
    }

    /** Value {@code c} of the row of {@code blocks} blocks at {@code src[row..]}. */
    static float get(DType type, MemorySegment src, long row, int blocks, int c) {
        int b = c / BLOCK, j = c % BLOCK;
        if (type == DType.Q8_0) {
            long block = row + (long) b * type.bytes();
            return Float.float16ToFloat(src.get(Matrix.SHORT_LE, block)) * src.get(ValueLayout.JAVA_BYTE, block + 2 + j);
        }
        float d = Float.float16ToFloat(src.get(Matrix.SHORT_LE, q4Scale(row, b)));
        int q = src.get(ValueLayout.JAVA_BYTE, q4Byte(row, blocks, b, j % (BLOCK / 2))) & 0xFF;
        return d * ((j < BLOCK / 2 ? q & 0xF : q >>> 4) - 8);
    }

    /**
     * The order of the shorts of a Q4_0 activation row: the order in which a Q4_0 kernel reads them,
     * so that its loads are plain contiguous vector loads (see {@link #q4Position}).
     */
    enum Q4Order {
        /** Natural order: a block's 16 low-nibble values are its shorts 0..15, its high-nibble values 16..31. */
        NATURAL,
        /**
         * The order of the vector kernels ({@link QuantKernels}), folded so that they multiply a weight's 16-bit
         * lanes without masking nibbles. A lane {@code s} of a whole group (see {@link #q4Byte}) is two bytes of one
         * block, {@code s = lo0 + 16·hi0 + 256·lo1 + 4096·hi1} for values {@code a, b, c, d} = {@code 2i, 16+2i,
         * 2i+1, 17+2i}; the kernel multiplies {@code s, s>>>4, s>>>8, s>>>12} by {@code y0 = a, y1 = b − 16a,
         * y2 = c − 16b, y3 = d − 16c} and the sum is exactly {@code lo0·a + hi0·b + lo1·c + hi1·d} (modulo 2¹⁶
         * in 16-bit lanes, where the true sum fits: ≤ 16·15·127 for one lane over a block). Per group of eight
         * blocks the 256 shorts are {@code [y0 | y1 | y2 | y3]}, 64 each, and within one of them chunk {@code k}
         * of the weights (16 shorts) in order: lane {@code 2j + p} is block {@code j}'s short {@code 2k + p}
         * ({@link #q4Position}). A block past the last whole group is in natural order with its high half folded,
         * {@code x[16 + j] − 16·x[j]}, for a kernel that multiplies whole bytes by {@code x[j]} and high nibbles by
         * the folded value.
         */
        GROUPED
    }

    /**
     * Quantizes the activation row {@code x[xo .. xo+n)} per block of 32 ({@code d = max|x| / 127},
     * {@code q = round(x / d)} in −127..127) into {@code qa[qo .. qo+n)} and {@code da[dOff ..]}.
     * For {@link DType#Q4_0} the shorts are laid out in {@code order} (see {@link #q4Position}), and
     * {@code corr[dOff + b]} receives {@code −8 · Σ q} of block {@code b} (the weights' offset of 8,
     * applied once per block); for Q8_0 the order is natural and neither {@code order} nor {@code corr}
     * is used (either may be null).
     */
    static void quantizeActivation(DType type, Q4Order order, float[] x, int xo, int n, short[] qa, int qo, float[] da, float[] corr,
                                   int dOff) {
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b++) {
            int base = xo + b * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[base + j]));
            float d = amax / 127;
            float id = d != 0 ? 1f / d : 0f;
            da[dOff + b] = d;
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                int q = roundHalfAway(x[base + j] * id);
                sum += q;
                qa[qo + (type == DType.Q4_0 ? q4Position(order, b, j, blocks) : b * BLOCK + j)] = (short) q;
            }
            if (type == DType.Q4_0) corr[dOff + b] = -8f * sum;
            if (type == DType.Q4_0 && order == Q4Order.GROUPED) fold(qa, qo, b, blocks);
        }
    }

    /** Folds block {@code b} of a {@link Q4Order#GROUPED} activation row in place (see there), from its natural values. */
    private static void fold(short[] qa, int qo, int b, int blocks) {
        int half = BLOCK / 2;
        if (b >= grouped(blocks)) {
            for (int j = 0; j < half; j++) qa[qo + q4Position(Q4Order.GROUPED, b, half + j, blocks)] -= (short) (16 * qa[qo + q4Position(Q4Order.GROUPED, b, j, blocks)]);
            return;
        }
        for (int i = 0; i < half / 2; i++) {
            int pa = qo + q4Position(Q4Order.GROUPED, b, 2 * i, blocks), pb = qo + q4Position(Q4Order.GROUPED, b, half + 2 * i, blocks);
            int pc = qo + q4Position(Q4Order.GROUPED, b, 2 * i + 1, blocks), pd = qo + q4Position(Q4Order.GROUPED, b, half + 2 * i + 1, blocks);
            qa[pd] -= (short) (16 * qa[pc]); // y3 = d − 16c, before c is folded
            qa[pc] -= (short) (16 * qa[pb]); // y2 = c − 16b
            qa[pb] -= (short) (16 * qa[pa]); // y1 = b − 16a
        }
    }

    /**
     * Where value {@code v} of block {@code b} sits in a Q4_0 activation row of {@code blocks} blocks in {@code order}.
     * {@link Q4Order#GROUPED}, in a whole group: byte {@code m = v % 16} of the block is byte {@code e = m % 2} of its
     * short {@code i = m / 2}, its low ({@code v < 16}) or high nibble is multiplier {@code t = 2e + (v / 16)}, and the
     * short is lane {@code 2j + i % 2} of chunk {@code i / 2}: position {@code 256·group + 64·t + 16·(i / 2) + 2j + i % 2}.
     */
    static int q4Position(Q4Order order, int b, int v, int blocks) {
        if (order == Q4Order.NATURAL || b >= grouped(blocks)) return b * BLOCK + v;
        int m = v % (BLOCK / 2), i = m / 2, t = 2 * (m % 2) + v / (BLOCK / 2);
        return (b - b % GROUP) * BLOCK + 64 * t + 16 * (i / 2) + 2 * (b % GROUP) + i % 2;
    }

    /** Σ over blocks of {@code d_w · d_a · Σ q_w·q_a}: a Q8_0 weight row against a quantized activation row. */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        float s = 0;
        for (int b = 0; b < blocks; b++, off += DType.Q8_0.bytes()) {
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) sum += w.get(ValueLayout.JAVA_BYTE, off + 2 + j) * qa[qo + b * BLOCK + j];
            s += Float.float16ToFloat(w.get(Matrix.SHORT_LE, off)) * da[dOff + b] * sum;
        }
        return s;
    }

    /**
     * Σ over blocks of {@code d_w · d_a · Σ (q_w − 8)·q_a}: the planar Q4_0 weight row of {@code blocks} blocks at
     * {@code w[off..]} against an activation row in {@code order} (see {@link #q4Position}).
     */
    static float dotQ4(Q4Order order, MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        return dotQ4(order, w, off, blocks, 0, blocks, qa, qo, da, corr, dOff);
    }

    /** {@link #dotQ4} over blocks {@code [from, to)} only, of the planar row at {@code w[off..]} of {@code blocks} blocks. */
    static float dotQ4(Q4Order order, MemorySegment w, long off, int blocks, int from, int to, short[] qa, int qo, float[] da, float[] corr,
                       int dOff) {
        float s = 0;
        int half = BLOCK / 2;
        for (int b = from; b < to; b++) {
            int sum = 0;
            if (order == Q4Order.GROUPED && b < grouped(blocks)) {
                for (int i = 0; i < half / 2; i++) { // a short of two bytes times y0..y3 (see Q4Order.GROUPED): exact in int
                    int lane = (w.get(ValueLayout.JAVA_BYTE, q4Byte(off, blocks, b, 2 * i)) & 0xFF)
                            | (w.get(ValueLayout.JAVA_BYTE, q4Byte(off, blocks, b, 2 * i + 1)) & 0xFF) << 8;
                    sum += lane * qa[qo + q4Position(order, b, 2 * i, blocks)] + (lane >>> 4) * qa[qo + q4Position(order, b, half + 2 * i, blocks)]
                            + (lane >>> 8) * qa[qo + q4Position(order, b, 2 * i + 1, blocks)]
                            + (lane >>> 12) * qa[qo + q4Position(order, b, half + 2 * i + 1, blocks)];
                }
            } else {
                for (int j = 0; j < half; j++) {
                    int q = w.get(ValueLayout.JAVA_BYTE, q4Byte(off, blocks, b, j)) & 0xFF;
                    int low = order == Q4Order.NATURAL ? q & 0xF : q; // folded: the whole byte times x[j] (see Q4Order.GROUPED)
                    sum += low * qa[qo + q4Position(order, b, j, blocks)] + (q >>> 4) * qa[qo + q4Position(order, b, j + half, blocks)];
                }
            }
            s += Float.float16ToFloat(w.get(Matrix.SHORT_LE, q4Scale(off, b))) * da[dOff + b] * (sum + corr[dOff + b]);
        }
        return s;
    }
}
