package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/**
 * {@link BatchMatMul} gives, row for row, what {@link MatMul} gives (bf16 and f32 weights, odd sizes): the same
 * operations in the same order, so equal but for the lane order of the final vector reduction, which the JIT may
 * choose differently in interpreted and compiled code (hence a tolerance of 1e-6 of Σ|x·w|, not bit equality).
 */
class BatchMatMulTest {
    @Test
    void equalsMatMulRowForRow() {
        Random random = new Random(3);
        try (Weights w = Weights.open(GoldenCase.modelDir(GoldenCase.TINY))) {
            Matrix[] matrices = {
                    Matrix.of(w.tensor("model.layers.0.mlp.gate_proj.weight")),    // bf16 [64, 32]
                    Matrix.of(w.tensor("model.layers.0.mlp.down_proj.weight")),    // bf16 [32, 64]
                    Matrix.ofFloats("f32", randoms(random, 37 * 45), 37, 45),
                    Matrix.ofFloats("f32 long", randoms(random, 300 * 1000), 300, 1000),
            };
            for (Matrix m : matrices) {
                float[] bias = randoms(random, m.rows());
                for (int n = 1; n <= 9; n++) {
                    float[] x = randoms(random, n * m.cols());
                    float[] expected = new float[n * m.rows()], actual = new float[n * m.rows()];
                    MatMul.matmul(x, n, m, bias, expected);
                    BatchMatMul.matmul(x, n, m, bias, actual);
                    assertClose(expected, actual, scale(x, n, m), m.name() + " with " + n + " rows");
                    MatMul.matmul(x, n, m, null, expected);
                    BatchMatMul.matmul(x, n, m, null, actual);
                    assertClose(expected, actual, scale(x, n, m), m.name() + " with " + n + " rows, no bias");
                }
            }
            Matrix m = matrices[0];
            assertThrows(IllegalArgumentException.class, () -> BatchMatMul.matmul(new float[10], 3, m, null, new float[3 * 64]));
        }
    }

    /** Σ|x·w| per output value: the size of the terms whose rounding the tolerance allows for. */
    private static double[] scale(float[] x, int n, Matrix m) {
        double[] s = new double[n * m.rows()];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < m.rows(); r++) {
                for (int c = 0; c < m.cols(); c++) s[i * m.rows() + r] += Math.abs((double) x[i * m.cols() + c] * m.get(r, c));
            }
        }
        return s;
    }

    private static void assertClose(float[] expected, float[] actual, double[] scale, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 1e-6 * (1 + scale[i]))) {
                throw new AssertionError(what + ": index " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    private static float[] randoms(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
