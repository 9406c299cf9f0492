package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import qwen2vl4j.io.DType;

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
 * {@code B} blocks is planar: first the {@code B} scales ({@link #q4Scale}), then the {@code B × 16}
 * bytes of nibbles ({@link #q4Quants}), the same 18 bytes per block as GGUF's interleaved blocks,
 * so that a kernel can load eight scales as one vector. Activations are quantized per block like Q8_0
 * but keep a float scale, widened to shorts in the order each kernel reads them.
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

    /** Byte offset of the 16 bytes of nibbles of block {@code b} of the planar Q4_0 row at {@code row}, of {@code blocks} blocks. */
    static long q4Quants(long row, int blocks, int b) {
        return row + 2L * blocks + 16L * b;
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
            long quants = q4Quants(off, blocks, b);
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(15, (byte) (x[base + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (x[base + BLOCK / 2 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, quants + j, (byte) (lo | hi << 4));
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
                long quants = q4Quants(row, blocks, b);
                for (int j = 0; j < BLOCK / 2; j++) {
                    int q = src.get(ValueLayout.JAVA_BYTE, quants + j) & 0xFF;
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
        int q = src.get(ValueLayout.JAVA_BYTE, q4Quants(row, blocks, b) + j % (BLOCK / 2)) & 0xFF;
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
         * Natural order with the high half folded (the 256- and 128-bit kernels): short {@code 16 + j} holds
         * {@code x[16 + j] − 16·x[j]} (|·| ≤ 2159). A kernel then multiplies a block's whole bytes {@code v = lo + 16·hi}
         * by the first half and their high nibbles by the second: {@code v·x[j] + hi·(x[16 + j] − 16·x[j]) = lo·x[j] +
         * hi·x[16 + j]}, one mask fewer per block. Each product fits 16 bits (≤ 255·127, 15·2159) and the sums wrap
         * modulo 2¹⁶ in 16-bit lanes, but their true values fit 16 bits, so the wrapped sums are exact.
         */
        FOLDED,
        /**
         * Per pair of blocks (A, B): {@code [A x0..x15 | B x0..x15 | A x16..x31 | B x16..x31]}, the high halves folded
         * as in {@link #FOLDED} (the 512-bit kernel).
         */
        PAIRED
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
            if (type == DType.Q4_0 && order != Q4Order.NATURAL) { // FOLDED and PAIRED
                for (int j = 0; j < BLOCK / 2; j++) {
                    qa[qo + q4Position(order, b, BLOCK / 2 + j, blocks)] -= (short) (16 * qa[qo + q4Position(order, b, j, blocks)]);
                }
            }
        }
    }

    /**
     * Where value {@code j} of block {@code b} sits in a Q4_0 activation row of {@code blocks} blocks in
     * {@code order}. {@link Q4Order#PAIRED}: per pair of blocks (A, B) the 64 shorts are
     * {@code [A x0..x15 | B x0..x15 | A x16..x31 | B x16..x31]}, the order of the pair's low nibbles and
     * then its high nibbles once the 512-bit kernel has put the two blocks' 16 bytes side by side; a last
     * unpaired block keeps the natural order.
     */
    static int q4Position(Q4Order order, int b, int j, int blocks) {
        int half = BLOCK / 2;
        return switch (order) {
            case NATURAL, FOLDED -> b * BLOCK + j;
            case PAIRED -> (b & 1) == 0 && b + 1 == blocks ? b * BLOCK + j : (b & ~1) * BLOCK + (j / half) * BLOCK + (b & 1) * half + j % half;
        };
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
        for (int b = from; b < to; b++) {
            long quants = q4Quants(off, blocks, b);
            int sum = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, quants + j) & 0xFF;
                int low = order == Q4Order.NATURAL ? q & 0xF : q; // folded: the whole byte times x[j] (see Q4Order.FOLDED)
                sum += low * qa[qo + q4Position(order, b, j, blocks)] + (q >>> 4) * qa[qo + q4Position(order, b, j + BLOCK / 2, blocks)];
            }
            s += Float.float16ToFloat(w.get(Matrix.SHORT_LE, q4Scale(off, b))) * da[dOff + b] * (sum + corr[dOff + b]);
        }
        return s;
    }
}
