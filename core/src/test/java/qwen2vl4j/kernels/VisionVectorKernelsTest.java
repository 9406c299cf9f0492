package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each vector kernel of the vision tower against its scalar twin on random inputs of odd sizes
 * (partial last vectors, ranges starting mid-array), and the pool-split {@link VisionOps} entry
 * points against the same kernels run as one piece.
 */
class VisionVectorKernelsTest {

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    private static void assertNear(float expected, float actual, double relTol, double absTol, String what) {
        assertEquals(expected, actual, relTol * Math.abs(expected) + absTol, what);
    }

    /** Over the whole float32 range of e^x and past both ends, against Math.exp rounded to float32. */
    @Test
    void expIsWithinTwoUlpsOfMathExp() {
        int n = 205_001;
        float[] x = new float[n + 7];
        for (int i = 0; i < n; i++) x[i] = -110f + i * 0.001f + (float) Math.sin(i) * 1e-4f;
        float[] specials = {0f, -0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 88.72f, -103.5f};
        System.arraycopy(specials, 0, x, n, specials.length);
        float[] e = x.clone();
        VisionVectorKernels.exp(e, 0, e.length);
        for (int i = 0; i < n; i++) {
            float expected = (float) Math.exp(x[i]);
            double tolerance = 2 * Math.ulp(expected) + (expected < Float.MIN_NORMAL ? Float.MIN_VALUE : 0);
            assertEquals(expected, e[i], tolerance, "exp(" + x[i] + ")");
        }
        assertEquals(1f, e[n]);
        assertEquals(1f, e[n + 1]);
        assertEquals(0f, e[n + 2]);
        assertEquals(Float.POSITIVE_INFINITY, e[n + 3]);
        assertEquals(Float.NaN, e[n + 4]);
        assertEquals((float) Math.exp(88.72f), e[n + 5], 2 * Math.ulp((float) Math.exp(88.72f)));
        assertEquals((float) Math.exp(-103.5f), e[n + 6], Float.MIN_VALUE);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 17, 37, 161, 1283})
    void layerNormMatchesTwin(int dim) {
        Random rnd = new Random(dim);
        int rows = 7;
        float[] x = gaussian(rnd, rows * dim, 4.0);
        for (int i = 0; i < x.length; i++) x[i] -= 3f;
        float[] w = gaussian(rnd, dim, 1.0), b = gaussian(rnd, dim, 1.0);
        float[] vector = new float[rows * dim], scalar = new float[rows * dim];
        VisionVectorKernels.layerNorm(x, 2, rows, dim, w, b, 1e-6f, vector);
        VisionOpsReference.layerNorm(x, 2, rows, dim, w, b, 1e-6f, scalar);
        for (int i = 0; i < rows * dim; i++) assertNear(scalar[i], vector[i], 1e-6, 1e-6, "element " + i);
        for (int i = 0; i < 2 * dim; i++) assertEquals(0f, vector[i], "rows before the range are untouched");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 15, 16, 17, 80, 333, 1031})
    void softmaxMatchesTwin(int n) {
        Random rnd = new Random(n);
        for (float scale : new float[] {1f, 0.111803398f, 7.5f}) {
            float[] a = gaussian(rnd, n + 5, 8.0);
            float[] vector = a.clone(), scalar = a.clone();
            VisionVectorKernels.softmax(vector, 3, n, scale);
            VisionOpsReference.softmax(scalar, 3, n, scale);
            for (int i = 0; i < a.length; i++) {
                if (i < 3 || i >= n + 3) assertEquals(a[i], vector[i], 0, "outside the range is untouched: " + i);
                else assertNear(scalar[i], vector[i], 1e-6, 1e-30, "scale " + scale + " element " + i);
            }
        }
    }

    @Test
    void softmaxGivesZeroToMinusInfinity() {
        float[] a = {1f, Float.NEGATIVE_INFINITY, 2f, 0.5f, Float.NEGATIVE_INFINITY, -3f, 4f, 1f, 0f, 2f, 1f, 1f, 3f, 2f, 0f, 1f, -1f, 2f, 1f};
        float[] vector = a.clone(), scalar = a.clone();
        VisionVectorKernels.softmax(vector, 0, a.length, 1f);
        VisionOpsReference.softmax(scalar, 0, a.length, 1f);
        for (int i = 0; i < a.length; i++) assertNear(scalar[i], vector[i], 1e-6, 1e-30, "element " + i);
        assertEquals(0f, vector[1]);
        assertEquals(0f, vector[4]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 31, 1001})
    void quickGeluMatchesTwin(int n) {
        Random rnd = new Random(n);
        float[] a = gaussian(rnd, n + 4, 6.0);
        a[0] = -80f; // far into the tail: e^(1.702·80) overflows float32
        float[] vector = a.clone(), scalar = a.clone();
        VisionVectorKernels.quickGelu(vector, 1, n + 1);
        VisionOpsReference.quickGelu(scalar, 1, n + 1);
        for (int i = 0; i < a.length; i++) {
            if (i < 1 || i >= n + 1) assertEquals(a[i], vector[i], 0, "outside the range is untouched: " + i);
            else assertNear(scalar[i], vector[i], 2e-7, 2e-7, "x = " + a[i]);
        }
        VisionVectorKernels.quickGelu(a, 0, 1);
        assertEquals(0f, a[0], 1e-30f, "quickGelu(-80)");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 6, 34, 80})
    void rotaryHeadsIsTheTwinsArithmetic(int headDim) {
        Random rnd = new Random(headDim);
        int rows = 5, heads = 3, stride = heads * headDim + 7, half = headDim / 2;
        float[] x = gaussian(rnd, rows * stride, 2.0);
        float[] cos = new float[rows * half], sin = new float[rows * half];
        for (int i = 0; i < cos.length; i++) {
            double angle = rnd.nextGaussian() * 40;
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
        float[] vector = x.clone(), scalar = x.clone();
        VisionVectorKernels.rotaryHeads(vector, 1, rows, stride, heads, headDim, cos, sin);
        VisionOpsReference.rotaryHeads(scalar, 1, rows, stride, heads, headDim, cos, sin);
        assertArrayEquals(scalar, vector);
        for (int i = 0; i < stride; i++) assertEquals(x[i], vector[i], 0, "row 0 is untouched");
        for (int i = heads * headDim; i < stride; i++) assertEquals(x[stride + i], vector[stride + i], 0, "past the heads is untouched");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 333})
    void addIsTheTwinsArithmetic(int n) {
        Random rnd = new Random(n);
        float[] acc = gaussian(rnd, n + 3, 1.0), delta = gaussian(rnd, n + 3, 1.0);
        float[] vector = acc.clone(), scalar = acc.clone();
        VisionVectorKernels.add(vector, delta, 2, n + 2);
        VisionOpsReference.add(scalar, delta, 2, n + 2);
        assertArrayEquals(scalar, vector);
        assertEquals(acc[0], vector[0], 0);
        assertEquals(acc[n + 2], vector[n + 2], 0);
    }

    /** Large enough to be split across the pool: the result is the single-piece one, element for element. */
    @Test
    void splitCallsEqualOnePiece() {
        Random rnd = new Random(3);
        int rows = 301, dim = 161;
        float[] x = gaussian(rnd, rows * dim, 2.0), w = gaussian(rnd, dim, 1.0), b = gaussian(rnd, dim, 1.0);

        float[] split = new float[x.length], whole = new float[x.length];
        VisionOps.layerNorm(x, rows, dim, w, b, 1e-6f, split);
        VisionVectorKernels.layerNorm(x, 0, rows, dim, w, b, 1e-6f, whole);
        assertArrayEquals(whole, split, "layerNorm");

        split = x.clone();
        whole = x.clone();
        VisionOps.softmaxRows(split, rows, dim, 0.3f);
        for (int r = 0; r < rows; r++) VisionVectorKernels.softmax(whole, r * dim, dim, 0.3f);
        assertArrayEquals(whole, split, "softmaxRows");

        split = x.clone();
        whole = x.clone();
        VisionOps.quickGelu(split, 5, x.length - 9);
        VisionVectorKernels.quickGelu(whole, 5, x.length - 4);
        assertArrayEquals(whole, split, "quickGelu");

        split = x.clone();
        whole = x.clone();
        VisionOps.gelu(split, 5, x.length - 9);
        VisionOps.geluRange(whole, 5, x.length - 4);
        assertArrayEquals(whole, split, "gelu");

        split = x.clone();
        whole = x.clone();
        float[] delta = gaussian(rnd, x.length, 1.0);
        VisionOps.add(split, delta, x.length - 3);
        VisionVectorKernels.add(whole, delta, 0, x.length - 3);
        assertArrayEquals(whole, split, "add");

        int heads = 2, headDim = 80;
        float[] qk = gaussian(rnd, rows * dim, 1.0), cos = gaussian(rnd, rows * 40, 1.0), sin = gaussian(rnd, rows * 40, 1.0);
        split = qk.clone();
        whole = qk.clone();
        VisionOps.rotaryHeads(split, rows, dim, heads, headDim, cos, sin);
        VisionVectorKernels.rotaryHeads(whole, 0, rows, dim, heads, headDim, cos, sin);
        assertArrayEquals(whole, split, "rotaryHeads");
    }
}
