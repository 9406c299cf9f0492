package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.SafeTensorsWriter;

class MatMulTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,33", "3,5,17", "1,64,130", "4,96,67", "17,40,1176", "2,300,500"})
    void vectorMatchesScalarForF32AndBf16(int n, int rows, int cols) throws Exception {
        Random rnd = new Random(n * 1000 + rows * 10 + cols);
        float[] w = new float[rows * cols];
        float[] x = new float[n * cols];
        float[] bias = new float[rows];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < rows; i++) bias[i] = (float) rnd.nextGaussian();

        Path file = tmp.resolve("w.safetensors");
        new SafeTensorsWriter().addBF16("w", new long[] {rows, cols}, w).addF32("f", new long[] {rows, cols}, w).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : new String[] {"w", "f"}) {
                Matrix m = Matrix.of(st.tensor(name));
                float[] expected = new float[n * rows];
                float[] actual = new float[n * rows];
                MatMul.matmulScalar(x, n, m, bias, expected);
                MatMul.matmul(x, n, m, bias, actual);
                for (int i = 0; i < expected.length; i++) {
                    double tol = 1e-5 * Math.sqrt(cols) * (1 + Math.abs(expected[i]));
                    assertEquals(expected[i], actual[i], tol, name + " element " + i);
                }
            }
        }
        Files.deleteIfExists(file);
    }
}
