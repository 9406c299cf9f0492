package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each {@link TextOps} operation against a double-precision reference on random inputs of odd sizes. */
class TextOpsTest {
    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    private static void assertClose(double expected, float actual, double relTol, String what) {
        assertEquals(expected, actual, relTol * (1 + Math.abs(expected)), what);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 33, 255, 1537})
    void rmsNormMatchesReference(int n) {
        Random rnd = new Random(n);
        float[] x = gaussian(rnd, n + 5, 3), w = gaussian(rnd, n, 1);
        float eps = 1e-6f;
        float[] out = new float[n + 2];
        TextOps.rmsNorm(x, 5, w, eps, out, 2, n);
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[5 + i] * x[5 + i];
        double inv = 1 / Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) assertClose(w[i] * x[5 + i] * inv, out[2 + i], 1e-6, "element " + i);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 31, 129, 1001})
    void softmaxMatchesReference(int n) {
        Random rnd = new Random(n);
        float[] x = gaussian(rnd, n + 3, 20);
        float[] orig = x.clone();
        TextOpsReference.softmax(x, 3, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, orig[3 + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(orig[3 + i] - max);
        for (int i = 0; i < n; i++) assertClose(Math.exp(orig[3 + i] - max) / sum, x[3 + i], 1e-6, "element " + i);
        for (int i = 0; i < 3; i++) assertEquals(orig[i], x[i], "untouched prefix " + i);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 63, 8961})
    void siluMulMatchesReference(int n) {
        Random rnd = new Random(n);
        float[] g = gaussian(rnd, n, 6), u = gaussian(rnd, n, 2);
        float[] g0 = g.clone();
        TextOpsReference.siluMul(g, u, n);
        for (int i = 0; i < n; i++) {
            double silu = g0[i] / (1 + Math.exp(-(double) g0[i]));
            assertClose(silu * u[i], g[i], 1e-6, "element " + i);
        }
    }

    /** The vector SwiGLU against its twin, on a range with a masked tail, far into both tails of the sigmoid. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 63, 8961})
    void vectorSiluMulMatchesTwin(int n) {
        Random rnd = new Random(n + 7);
        float[] g = gaussian(rnd, n + 2, 6), u = gaussian(rnd, n + 2, 2);
        g[1] = -95f;                      // e^95 overflows float32: silu → -0
        g[n] = 95f;                       // silu(x) = x
        float[] vector = g.clone(), scalar = g.clone();
        VectorKernels.siluMul(vector, u, 1, n + 1);
        TextOpsReference.siluMul(scalar, u, 1, n + 1);
        assertEquals(g[0], vector[0], 0, "before the range is untouched");
        assertEquals(g[n + 1], vector[n + 1], 0, "after the range is untouched");
        for (int i = 1; i <= n; i++) {
            assertEquals(scalar[i], vector[i], 4e-7 * Math.abs(scalar[i]) + 1e-30, "x = " + g[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 128})
    void inverseFrequenciesMatchReference(int headDim) {
        float[] inv = TextOps.ropeInverseFrequencies(headDim, 1e6);
        assertEquals(headDim / 2, inv.length);
        for (int j = 0; j < inv.length; j++) assertClose(Math.pow(1e6, -2.0 * j / headDim), inv[j], 3e-7, "frequency " + j);
    }

    /** The three-axis angles and the rotate-half rotation, against rotating each (j, j + half) pair in double. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void mropeRotationMatchesReference(int seed) {
        Random rnd = new Random(seed);
        int[][] sections = {{2, 3, 3}, {16, 24, 24}, {1, 1, 3}, {5, 0, 2}};
        int[] section = sections[seed];
        int half = section[0] + section[1] + section[2], headDim = 2 * half;
        float[] inv = TextOps.ropeInverseFrequencies(headDim, 1e6);
        int pt = rnd.nextInt(5000), ph = rnd.nextInt(5000), pw = rnd.nextInt(5000);
        float[] cos = new float[half + 1], sin = new float[half + 1];
        TextOps.mropeCosSin(pt, ph, pw, inv, section, cos, sin, 1);
        float[] x = gaussian(rnd, headDim + 3, 1);
        float[] orig = x.clone();
        TextOps.applyRotary(x, 3, headDim, cos, sin, 1);
        for (int j = 0; j < half; j++) {
            int p = j < section[0] ? pt : j < section[0] + section[1] ? ph : pw;
            double angle = (double) (p * inv[j]);
            assertClose(Math.cos(angle), cos[1 + j], 1e-7, "cos " + j);
            double x1 = orig[3 + j], x2 = orig[3 + j + half];
            assertClose(x1 * Math.cos(angle) - x2 * Math.sin(angle), x[3 + j], 1e-6, "lane " + j);
            assertClose(x2 * Math.cos(angle) + x1 * Math.sin(angle), x[3 + j + half], 1e-6, "lane " + (j + half));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 9, 77})
    void attendMatchesReference(int nKeys) {
        Random rnd = new Random(nKeys);
        int headDim = 19, stride = 3 * headDim + 2, kvOff = headDim + 1;
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = gaussian(rnd, headDim + 4, 1);
        float[] keys = gaussian(rnd, nKeys * stride, 1), values = gaussian(rnd, nKeys * stride, 1);
        float[] scores = new float[nKeys], out = new float[headDim + 2];
        TextOpsReference.attend(q, 4, keys, values, kvOff, stride, nKeys, headDim, scale, scores, out, 2);
        double[] p = new double[nKeys];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int t = 0; t < nKeys; t++) {
            double s = 0;
            for (int d = 0; d < headDim; d++) s += (double) q[4 + d] * keys[t * stride + kvOff + d];
            p[t] = s * scale;
            max = Math.max(max, p[t]);
        }
        for (int t = 0; t < nKeys; t++) sum += p[t] = Math.exp(p[t] - max);
        for (int d = 0; d < headDim; d++) {
            double o = 0;
            for (int t = 0; t < nKeys; t++) o += p[t] / sum * values[t * stride + kvOff + d];
            assertClose(o, out[2 + d], 1e-5, "output " + d);
        }
    }
}
