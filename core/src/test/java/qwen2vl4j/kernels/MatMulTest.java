package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.SafeTensorsWriter;

class MatMulTest {
    private static final String[] FORMATS = {"bf16", "f16", "f32"};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,33", "3,5,17", "1,64,130", "4,96,67", "17,40,1176", "2,300,500"})
    void vectorMatchesScalarForF32AndBf16(int n, int rows, int cols) throws Exception {
        checkAllFormats(n, rows, cols, true, n * 1000 + rows * 10 + cols);
    }

    /** Every input-row count from 1 to 70 (GEMV, row-wise and tiled paths, every tail of the 6-row blocks). */
    @Test
    void everyRowCountFromOneToSeventy() throws Exception {
        for (int n = 1; n <= 70; n++) {
            checkAllFormats(n, 37 + 2 * n, 45 + 3 * n, n % 2 == 0, n);
        }
    }

    /** Sizes that straddle the tile (2 vectors of rows), the column block and the pass of input blocks of the tiled kernel. */
    @ParameterizedTest
    @CsvSource({"6,31,127", "7,33,129", "12,65,257", "13,1,300", "24,96,128", "5,2,3", "9,130,1", "70,97,385", "203,33,140"})
    void oddTileAndBlockEdges(int n, int rows, int cols) throws Exception {
        checkAllFormats(n, rows, cols, true, rows * 7 + cols);
        checkAllFormats(n, rows, cols, false, rows * 11 + cols);
    }

    /** The row-wise baseline kernel agrees with the scalar twin too. */
    @Test
    void rowwiseBaselineMatchesScalar() throws Exception {
        Random rnd = new Random(5);
        int n = 9, rows = 50, cols = 77;
        float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Path file = tmp.resolve("rowwise.safetensors");
        new SafeTensorsWriter().addBF16("w", new long[] {rows, cols}, w).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Matrix m = Matrix.of(st.tensor("w"));
            float[] expected = new float[n * rows], actual = new float[n * rows];
            MatMul.matmulScalar(x, n, m, bias, expected);
            MatMul.matmulRowwise(x, n, m, bias, actual);
            assertClose(expected, actual, cols, "rowwise");
        }
    }

    /** The previous tiled kernel, the bench's baseline, agrees with the scalar twin too (a partial tile and row block). */
    @Test
    void tiledBaselineMatchesScalar() throws Exception {
        Random rnd = new Random(6);
        int n = 15, rows = 70, cols = 150;
        float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Path file = tmp.resolve("baseline.safetensors");
        new SafeTensorsWriter().addBF16("w", new long[] {rows, cols}, w).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Matrix m = Matrix.of(st.tensor("w"));
            float[] expected = new float[n * rows], actual = new float[n * rows];
            MatMul.matmulScalar(x, n, m, bias, expected);
            MatMul.matmulTiledBaseline(x, n, m, bias, actual);
            assertClose(expected, actual, cols, "tiled baseline");
        }
    }

    private void checkAllFormats(int n, int rows, int cols, boolean withBias, long seed) throws Exception {
        Random rnd = new Random(seed);
        float[] w = gaussian(rnd, rows * cols);
        float[] x = gaussian(rnd, n * cols);
        float[] bias = withBias ? gaussian(rnd, rows) : null;
        long[] shape = {rows, cols};
        Path file = tmp.resolve("w" + n + "_" + rows + "_" + cols + ".safetensors");
        new SafeTensorsWriter().addBF16("bf16", shape, w).addRaw("f16", DType.F16, shape, toF16(w)).addF32("f32", shape, w).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : FORMATS) {
                Matrix m = Matrix.of(st.tensor(name));
                float[] expected = new float[n * rows];
                float[] actual = new float[n * rows];
                java.util.Arrays.fill(actual, Float.NaN);
                MatMul.matmulScalar(x, n, m, bias, expected);
                MatMul.matmul(x, n, m, bias, actual);
                assertClose(expected, actual, cols, name + " n=" + n + " [" + rows + "," + cols + "] bias=" + withBias);
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, int cols, String what) {
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.sqrt(cols) * (1 + Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol, what + " element " + i);
        }
    }

    private static float[] gaussian(Random rnd, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static byte[] toF16(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(Float.floatToFloat16(v));
        return b.array();
    }
}
