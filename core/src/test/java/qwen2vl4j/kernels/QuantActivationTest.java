package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.QuantKernelsScalar.Q4Order;

/** The Q4_0 activation layouts the kernels read (the weights' side and the kernels themselves: {@link QuantKernelsTest}). */
class QuantActivationTest {
    private static final int BLOCK = QuantKernelsScalar.BLOCK;

    /**
     * The folded Q4_0 activation (what the 256- and 128-bit kernels read): the natural shorts with each block's
     * value {@code 16 + j} replaced by {@code x[16 + j] − 16·x[j]}, the same scales and corrections; the paired one
     * (the 512-bit kernel's) folded the same way. The scalar twin over either gives exactly the natural twin's sums,
     * and the kernels agree, on rows whose nibbles and activations reach every extreme.
     */
    @Test
    void foldedActivationGivesTheNaturalSums() {
        Random rnd = new Random(41);
        int blocks = 5, cols = blocks * BLOCK;
        float[] w = QuantKernelsTest.gaussian(rnd, 2 * cols), x = QuantKernelsTest.gaussian(rnd, cols);
        for (int j = 0; j < BLOCK; j++) x[j] = j % 2 == 0 ? 1f : -1f; // block 0: activations of ±127
        for (int j = 0; j < BLOCK; j++) w[j] = j < BLOCK / 2 ? -8f : 7f; // row 0, block 0: nibbles 0 and 15
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) DType.Q4_0.byteSize(2L * cols)]);
        QuantKernelsTest.quantizeRows(DType.Q4_0, w, 2, cols, seg);
        short[] natural = new short[cols], folded = new short[cols];
        float[] d = new float[blocks], corr = new float[blocks], dF = new float[blocks], corrF = new float[blocks];
        QuantKernelsScalar.quantizeActivation(DType.Q4_0, Q4Order.NATURAL, x, 0, cols, natural, 0, d, corr, 0);
        QuantKernelsScalar.quantizeActivation(DType.Q4_0, Q4Order.FOLDED, x, 0, cols, folded, 0, dF, corrF, 0);
        assertArrayEquals(d, dF, "scales");
        assertArrayEquals(corr, corrF, "corrections (of the unfolded values)");
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < BLOCK / 2; j++) {
                int at = b * BLOCK + j;
                assertEquals(natural[at], folded[at], "block " + b + ", value " + j);
                assertEquals(natural[at + BLOCK / 2] - 16 * natural[at], folded[at + BLOCK / 2], "block " + b + ", value " + (j + BLOCK / 2));
            }
        }
        short[] paired = new short[cols];
        QuantKernelsScalar.quantizeActivation(DType.Q4_0, Q4Order.PAIRED, x, 0, cols, paired, 0, dF, corrF, 0);
        for (int b = 0; b < blocks; b++) { // blocks 0-3 in pairs, block 4 alone
            for (int j = 0; j < BLOCK / 2; j++) {
                int at = b * BLOCK + j;
                assertEquals(natural[at], paired[QuantKernelsScalar.q4Position(Q4Order.PAIRED, b, j, blocks)], "paired block " + b + ", value " + j);
                assertEquals(natural[at + BLOCK / 2] - 16 * natural[at], paired[QuantKernelsScalar.q4Position(Q4Order.PAIRED, b, j + BLOCK / 2, blocks)],
                        "paired block " + b + ", value " + (j + BLOCK / 2));
            }
        }
        for (int r = 0; r < 2; r++) {
            long off = DType.Q4_0.byteSize((long) r * cols);
            assertEquals(QuantKernelsScalar.dotQ4(Q4Order.NATURAL, seg, off, natural, 0, d, corr, 0, blocks),
                    QuantKernelsScalar.dotQ4(Q4Order.FOLDED, seg, off, folded, 0, d, corr, 0, blocks), "row " + r);
            assertEquals(QuantKernelsScalar.dotQ4(Q4Order.NATURAL, seg, off, natural, 0, d, corr, 0, blocks),
                    QuantKernelsScalar.dotQ4(Q4Order.PAIRED, seg, off, paired, 0, d, corr, 0, blocks), "paired, row " + r);
            assertEquals(QuantKernelsScalar.dotQ4(Q4Order.NATURAL, seg, off, natural, 0, d, corr, 0, blocks),
                    QuantKernelsTest.dot(512, DType.Q4_0, seg, off, paired, 0, d, corr, 0, blocks), 1e-5f * QuantKernelsTest.magnitude(seg, DType.Q4_0, off, x, cols),
                    "512-bit kernel over the paired activation, row " + r);
            for (int bits : new int[] {256, 128}) {
                assertEquals(QuantKernelsScalar.dotQ4(Q4Order.NATURAL, seg, off, natural, 0, d, corr, 0, blocks),
                        QuantKernelsTest.dot(bits, DType.Q4_0, seg, off, folded, 0, d, corr, 0, blocks), 1e-5f * QuantKernelsTest.magnitude(seg, DType.Q4_0, off, x, cols),
                        bits + "-bit kernel over the folded activation, row " + r);
            }
        }
    }

    /**
     * The vector activation quantizer gives the scalar twin's shorts, scales and corrections bit for bit, in every
     * order, for Q8_0 and Q4_0, from odd offsets: on Gaussian blocks, blocks whose scaled values land exactly on
     * halves (rounded away from zero), a block of zeros and one of -0.0, a block whose scale rounds to 0, one whose
     * inverse scale overflows to infinity, and blocks holding an infinity or a NaN.
     */
    @Test
    void vectorQuantizerMatchesTheScalarTwin() {
        Random rnd = new Random(43);
        int blocks = 9, cols = blocks * BLOCK;
        float[] x = new float[3 + cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() * 3;
        for (int j = 0; j < BLOCK; j++) x[3 + BLOCK + j] = (j - 16) + 0.5f * (j % 2); // block 1: halves
        x[3 + BLOCK] = -127f; // ... with |max| 127, so the scale is 1
        for (int j = 0; j < BLOCK; j++) x[3 + 2 * BLOCK + j] = 0f;
        for (int j = 0; j < BLOCK; j++) x[3 + 3 * BLOCK + j] = -0f;
        for (int j = 0; j < BLOCK; j++) x[3 + 4 * BLOCK + j] = (j % 2 == 0 ? -1 : 1) * Float.MIN_VALUE * (j + 1); // d rounds to 0
        for (int j = 0; j < BLOCK; j++) x[3 + 8 * BLOCK + j] = (j % 2 == 0 ? -1e-38f : 1e-38f) * (j + 1) / BLOCK; // 1/d overflows
        x[3 + 5 * BLOCK + 7] = Float.POSITIVE_INFINITY;
        x[3 + 6 * BLOCK + 30] = Float.NaN;
        x[3 + 7 * BLOCK + 1] = Float.NEGATIVE_INFINITY;
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_0}) {
            for (Q4Order order : type == DType.Q8_0 ? new Q4Order[] {Q4Order.NATURAL} : Q4Order.values()) {
                short[] qs = new short[cols + 5], qv = new short[cols + 5];
                float[] ds = new float[blocks + 2], dv = new float[blocks + 2], cs = new float[blocks + 2], cv = new float[blocks + 2];
                QuantKernelsScalar.quantizeActivation(type, order, x, 3, cols, qs, 5, ds, cs, 2);
                QuantKernels.quantizeActivation(type, order, x, 3, cols, qv, 5, dv, cv, 2);
                String what = type + " " + order + " at " + QuantKernels.BITS + " bits";
                assertArrayEquals(qs, qv, what + ": shorts");
                for (int b = 0; b < blocks + 2; b++) {
                    assertEquals(Float.floatToIntBits(ds[b]), Float.floatToIntBits(dv[b]), what + ": scale " + b);
                    assertEquals(Float.floatToIntBits(cs[b]), Float.floatToIntBits(cv[b]), what + ": correction " + b);
                }
            }
        }
    }
}
