package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each vision op against a straightforward double-precision reference on random inputs of odd sizes. */
class VisionOpsTest {

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    private static void assertNear(double expected, float actual, double relTol, String what) {
        assertEquals(expected, actual, relTol * Math.max(1.0, Math.abs(expected)), what);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 37, 161})
    void layerNormMatchesReference(int dim) {
        Random rnd = new Random(dim);
        int rows = 5;
        float[] x = gaussian(rnd, rows * dim, 3.0);
        for (int i = 0; i < x.length; i++) x[i] += 2.5f; // a non-zero mean
        float[] w = gaussian(rnd, dim, 1.0), b = gaussian(rnd, dim, 1.0);
        float[] out = new float[rows * dim];
        VisionOps.layerNorm(x, rows, dim, w, b, 1e-6f, out);
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dim; i++) mean += x[r * dim + i];
            mean /= dim;
            for (int i = 0; i < dim; i++) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
            var /= dim;
            for (int i = 0; i < dim; i++) {
                double expected = (x[r * dim + i] - mean) / Math.sqrt(var + 1e-6) * w[i] + b[i];
                assertNear(expected, out[r * dim + i], 1e-6, "row " + r + " col " + i);
            }
        }
        float[] inPlace = x.clone();
        VisionOps.layerNorm(inPlace, rows, dim, w, b, 1e-6f, inPlace);
        assertArrayEquals(out, inPlace, "in place gives the same result");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 333})
    void softmaxMatchesReference(int n) {
        Random rnd = new Random(n);
        float[] a = gaussian(rnd, n + 4, 30.0); // large logits: needs the max subtraction
        float[] expectedInput = a.clone();
        VisionOpsReference.softmax(a, 2, n, 1f);
        float[] vector = expectedInput.clone();
        VisionVectorKernels.softmax(vector, 2, n, 1f);
        for (int i = 0; i < n; i++) assertNear(a[2 + i], vector[2 + i], 1e-6, "vector softmax " + i);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, expectedInput[2 + i]);
        for (int i = 0; i < n; i++) sum += Math.exp(expectedInput[2 + i] - max);
        for (int i = 0; i < n; i++) {
            double expected = Math.exp(expectedInput[2 + i] - max) / sum;
            assertEquals(expected, a[2 + i], 1e-6 * expected + 1e-30, "element " + i);
        }
        assertEquals(expectedInput[0], a[0], 0, "outside the range is untouched");
        assertEquals(expectedInput[n + 3], a[n + 3], 0, "outside the range is untouched");
    }

    @Test
    void quickGeluMatchesReference() {
        Random rnd = new Random(11);
        float[] a = gaussian(rnd, 1001, 6.0);
        float[] x = a.clone();
        VisionOps.quickGelu(a, 0, a.length);
        for (int i = 0; i < a.length; i++) {
            double expected = x[i] * (1.0 / (1.0 + Math.exp(-1.702 * x[i])));
            assertNear(expected, a[i], 2e-7, "x = " + x[i]);
        }
    }

    /** erf by composite Simpson integration of 2/√π·e^(−t²) over [0, x]: slow, simple, independent. */
    private static double erfByIntegration(double x) {
        int steps = 20000;
        double h = x / steps, sum = 0;
        for (int i = 0; i <= steps; i++) {
            double t = i * h;
            double weight = (i == 0 || i == steps) ? 1 : (i % 2 == 1 ? 4 : 2);
            sum += weight * Math.exp(-t * t);
        }
        return sum * h / 3 * 2 / Math.sqrt(Math.PI);
    }

    @Test
    void erfMatchesIntegrationAndKnownValues() {
        Random rnd = new Random(5);
        double[] special = {0.0, 1e-12, -1e-6, 0.3, 2.4999999, 2.5, 2.5000001, -3.7, 5.9999, 6.0, 6.5, -9.0};
        for (double x : special) {
            double expected = erfByIntegration(x);
            assertEquals(expected, VisionOps.erf(x), 1e-12 * Math.max(Math.abs(expected), 1e-300), "erf(" + x + ")");
        }
        for (int i = 0; i < 301; i++) {
            double x = (rnd.nextDouble() * 2 - 1) * 7;
            double expected = erfByIntegration(x);
            assertEquals(expected, VisionOps.erf(x), 1e-12 * Math.abs(expected), "erf(" + x + ")");
        }
        assertEquals(0.8427007929497149, VisionOps.erf(1.0), 1e-15);
        assertEquals(0.5204998778130465, VisionOps.erf(0.5), 1e-15);
        assertEquals(0.9999779095030014, VisionOps.erf(3.0), 1e-15);
        assertEquals(1.0, VisionOps.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, VisionOps.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(VisionOps.erf(Double.NaN)));
    }

    @Test
    void geluMatchesReference() {
        Random rnd = new Random(13);
        float[] a = gaussian(rnd, 201, 4.0);
        float[] x = a.clone();
        VisionOps.gelu(a, 3, 197);
        for (int i = 0; i < a.length; i++) {
            double expected = (i < 3 || i >= 200) ? x[i] : 0.5 * x[i] * (1 + erfByIntegration(x[i] / Math.sqrt(2)));
            assertNear(expected, a[i], 2e-7, "x = " + x[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 20})
    void rotaryMatchesRotateHalfReference(int half) {
        Random rnd = new Random(half);
        float[] x = gaussian(rnd, 2 * half + 5, 2.0);
        float[] angles = gaussian(rnd, half + 3, 50.0);
        float[] cos = new float[angles.length], sin = new float[angles.length];
        for (int i = 0; i < angles.length; i++) {
            cos[i] = (float) Math.cos(angles[i]);
            sin[i] = (float) Math.sin(angles[i]);
        }
        float[] before = x.clone();
        VisionOpsReference.rotary(x, 3, cos, sin, 2, half);
        for (int j = 0; j < 2 * half; j++) {
            // q·cos + rotate_half(q)·sin with rotate_half(q) = (−q[half:], q[:half]) and the angles repeated
            double rotated = j < half ? -before[3 + j + half] : before[3 + j - half];
            int angle = 2 + (j % half);
            double expected = before[3 + j] * (double) cos[angle] + rotated * sin[angle];
            assertNear(expected, x[3 + j], 1e-6, "dim " + j);
        }
        for (int i : new int[] {0, 1, 2, 2 * half + 3, 2 * half + 4}) assertEquals(before[i], x[i], 0, "untouched " + i);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 13, 83})
    void addMatchesReference(int n) {
        Random rnd = new Random(n);
        float[] a = gaussian(rnd, n + 3, 1.0), b = gaussian(rnd, n + 5, 1.0);
        float[] acc = a.clone();
        VisionOps.add(acc, b, n);
        for (int i = 0; i < n; i++) assertNear((double) a[i] + b[i], acc[i], 1e-6, "add " + i);
        for (int i = n; i < acc.length; i++) assertEquals(a[i], acc[i], 0, "add past n " + i);
    }
}
