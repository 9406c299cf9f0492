package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FewRows} gives every output the bits of one fixed order of arithmetic, whatever the JIT has compiled so far
 * and however many input rows came with it: per vector lane {@code l} a chain of multiply-adds over the columns
 * {@code c ≡ l (mod L)} of the vector part, the lanes added in lane order, then the tail columns one product at a
 * time, then the bias. (Summing lanes with {@code reduceLanes(ADD)} gave other bits once C2 compiled the loop.)
 */
class FewRowsTest {
    private static final int L = VectorKernels.L;

    @ParameterizedTest
    @CsvSource({"4,2,64", "5,3,37", "8,7,129", "13,4,1536", "32,5,80", "6,1,3"})
    void everyCallGivesTheBitsOfTheLaneOrderTwin(int n, int rows, int cols) {
        Random rnd = new Random(n * 1000L + rows * 10L + cols);
        float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Matrix m = Matrix.ofFloats("few.weight", w, rows, cols);
        float[] expected = new float[n * rows];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) expected[i * rows + r] = laneOrderDot(w, r * cols, x, i * cols, cols) + bias[r];
        }
        float[] out = new float[n * rows];
        int calls = 20_000_000 / (n * rows * cols) + 200;     // enough calls for C2 to compile the kernels
        for (int call = 0; call < calls; call++) {
            FewRows.run(x, n, m, bias, out);
            assertArrayEquals(expected, out, "call " + call);
        }
    }

    /** The fixed order: per-lane fused chains over the vector part, lanes added in order, then the tail. */
    private static float laneOrderDot(float[] w, int wo, float[] x, int xo, int n) {
        int vectorPart = n - n % L;
        float[] lanes = new float[L];
        for (int c = 0; c < vectorPart; c++) lanes[c % L] = Math.fma(x[xo + c], w[wo + c], lanes[c % L]);
        float s = 0;
        for (float lane : lanes) s += lane;
        for (int c = vectorPart; c < n; c++) s += w[wo + c] * x[xo + c];
        return s;
    }

    private static float[] gaussian(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
