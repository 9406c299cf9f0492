package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The GEMM micro-kernels against their scalar twin on random packed operands, odd depths and offsets included. */
class GemmKernelsTest {
    private static final int MR = GemmKernels.MR, NR = GemmKernels.NR;

    /**
     * Each kernel against the twin, in blocks of its own height: both full-block kernels run on every machine,
     * whichever of them {@link GemmKernels#MR} picks here; the tails run in blocks of {@code MR}.
     */
    @ParameterizedTest
    @CsvSource({"1,0,0", "7,1,5", "128,0,0", "129,1,32", "33,2,1", "200,0,17"})
    void kernelsMatchScalarTwin(int kc, int aBlock, int outPad) {
        for (int m : new int[] {12, 4, 1}) {
            int mr = m == 12 ? 12 : MR;
            Random rnd = new Random(kc * 31L + aBlock + m);
            int aOff = aBlock * mr * kc;
            float[] a = gaussian(rnd, aOff + kc * mr), b = gaussian(rnd, 3 + kc * NR);
            int oStride = NR + outPad;
            float[] start = gaussian(rnd, outPad + mr * oStride);
            for (int r0 = 0; r0 + m <= mr; r0 += Math.max(1, mr - m)) {
                float[] expected = start.clone(), actual = start.clone();
                int oOff = outPad + r0 * oStride;
                GemmKernelsReference.gemm(m, mr, a, aOff + r0, b, 3, kc, expected, oOff, oStride);
                switch (m) {
                    case 12 -> GemmKernels.gemm12(a, aOff + r0, b, 3, kc, actual, oOff, oStride);
                    case 4 -> GemmKernels.gemm4(a, aOff + r0, b, 3, kc, actual, oOff, oStride);
                    default -> GemmKernels.gemm1(a, aOff + r0, b, 3, kc, actual, oOff);
                }
                for (int i = 0; i < expected.length; i++) {
                    double tol = 1e-5 * Math.sqrt(kc) * (1 + Math.abs(expected[i]));
                    assertEquals(expected[i], actual[i], tol, "gemm" + m + " kc=" + kc + " row " + r0 + " element " + i);
                }
            }
        }
    }

    /**
     * The kernels over a row-major input (attention's queries and probabilities) against the twin, on whole and half
     * tiles: they store their sums and leave every other value of {@code out} as it was.
     */
    @ParameterizedTest
    @CsvSource({"1,3,0", "7,9,5", "80,241,2", "129,130,0", "200,203,17"})
    void rowMajorKernelsMatchScalarTwin(int kc, int lda, int outPad) {
        for (int m : new int[] {4, 1}) {
            for (int width : new int[] {NR, NR / 2}) {
                Random rnd = new Random(kc * 31L + lda + m + width);
                int aOff = 2, bOff = 3, oStride = width + outPad, oOff = outPad;
                float[] a = gaussian(rnd, aOff + 3 * lda + kc), b = gaussian(rnd, bOff + kc * width);
                float[] start = gaussian(rnd, oOff + 4 * oStride), expected = start.clone(), actual = start.clone();
                GemmKernelsReference.gemmRowMajor(m, a, aOff, lda, b, bOff, width, kc, expected, oOff, oStride);
                if (width == NR) {
                    if (m == 4) GemmKernels.gemm4RowMajor(a, aOff, lda, b, bOff, kc, actual, oOff, oStride);
                    else GemmKernels.gemm1RowMajor(a, aOff, b, bOff, kc, actual, oOff);
                } else {
                    if (m == 4) GemmKernels.gemm4RowMajorHalf(a, aOff, lda, b, bOff, kc, actual, oOff, oStride);
                    else GemmKernels.gemm1RowMajorHalf(a, aOff, b, bOff, kc, actual, oOff);
                }
                for (int i = 0; i < expected.length; i++) {
                    double tol = 1e-5 * Math.sqrt(kc) * (1 + Math.abs(expected[i]));
                    assertEquals(expected[i], actual[i], tol, m + " rows, " + width + " lanes, kc=" + kc + ", element " + i);
                }
            }
        }
    }

    @Test
    void registerFileDecidesTheBlockHeight() {
        assertEquals(32, VectorRegisters.count("aarch64", 0));
        assertEquals(32, VectorRegisters.count("amd64", 3));
        assertEquals(16, VectorRegisters.count("amd64", 2));
        assertEquals(16, VectorRegisters.count("amd64", 0));
        assertEquals(VectorRegisters.COUNT >= 32 ? 12 : 4, MR);
    }

    @ParameterizedTest
    @CsvSource({"1,1", "5,3", "12,7", "13,40", "30,129"})
    void packRowsIsColumnMajorPerBlock(int n, int cols) {
        float[] x = gaussian(new Random(n * 100L + cols), n * cols);
        int blocks = (n + MR - 1) / MR;
        float[] a = new float[blocks * MR * cols];
        for (int b = 0; b < blocks; b++) GemmKernels.packRows(x, n, cols, b, a);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < cols; k++) {
                assertEquals(x[i * cols + k], a[(i / MR * cols + k) * MR + i % MR], "row " + i + " column " + k);
            }
        }
    }

    /** The gathered transpose of a weight tile matches the scalar one, for full and odd depths. */
    @ParameterizedTest
    @CsvSource({"128,128", "128,1", "130,77", "40,40"})
    void transposeTileMatchesScalarTwin(int srcStride, int kc) {
        float[] src = gaussian(new Random(srcStride * 7L + kc), NR * srcStride);
        float[] expected = new float[5 + kc * NR], actual = new float[5 + kc * NR];
        GemmKernelsReference.transposeTile(src, srcStride, kc, expected, 5);
        GemmKernels.transposeTile(src, srcStride, GemmKernels.gatherMap(srcStride), kc, actual, 5);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }

    private static float[] gaussian(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
