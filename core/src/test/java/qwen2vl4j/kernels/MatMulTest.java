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

    /**
     * The fused calls (two or three matrices with one input) equal one call per matrix through the scalar twin, for
     * one input row (one pass over the pool, ranges that straddle the matrices) and for several.
     */
    @ParameterizedTest
    @CsvSource({"1,1536,1537", "1,40,67", "1,7,3", "3,40,67", "5,33,129"})
    void fusedMatmulsMatchOneCallPerMatrix(int n, int rows, int cols) throws Exception {
        Random rnd = new Random(rows * 31L + cols);
        int[] heights = {rows, rows / 6 + 1, rows / 6 + 3};
        float[] x = gaussian(rnd, n * cols);
        SafeTensorsWriter writer = new SafeTensorsWriter();
        float[][] biases = new float[3][];
        for (int m = 0; m < 3; m++) {
            writer.addBF16("w" + m, new long[] {heights[m], cols}, gaussian(rnd, heights[m] * cols));
            biases[m] = m == 1 ? null : gaussian(rnd, heights[m]);
        }
        Path file = tmp.resolve("fused" + n + "_" + rows + "_" + cols + ".safetensors");
        writer.write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Matrix[] w = {Matrix.of(st.tensor("w0")), Matrix.of(st.tensor("w1")), Matrix.of(st.tensor("w2"))};
            float[][] expected = new float[3][], three = new float[3][], two = new float[2][];
            for (int m = 0; m < 3; m++) {
                expected[m] = new float[n * heights[m]];
                MatMulReference.matmul(x, n, w[m], biases[m], expected[m]);
                three[m] = new float[n * heights[m]];
                if (m < 2) two[m] = new float[n * heights[m]];
            }
            MatMul.matmul(x, n, w[0], biases[0], three[0], w[1], biases[1], three[1], w[2], biases[2], three[2]);
            MatMul.matmul(x, n, w[0], biases[0], two[0], w[1], biases[1], two[1]);
            for (int m = 0; m < 3; m++) assertClose(expected[m], three[m], cols, "three matrices, matrix " + m);
            for (int m = 0; m < 2; m++) assertClose(expected[m], two[m], cols, "two matrices, matrix " + m);
        }
    }

    /** SwiGLU's gate/up pass equals the scalar products followed by {@code silu(gate) ⊙ up}, for one row and several. */
    @ParameterizedTest
    @CsvSource({"1,1500,67", "1,9,33", "3,40,67", "1,70,1537"})
    void swiGluMatchesScalarProductsAndActivation(int n, int rows, int cols) throws Exception {
        Random rnd = new Random(rows * 17L + cols);
        float[] x = gaussian(rnd, n * cols);
        Path file = tmp.resolve("swiglu" + n + "_" + rows + "_" + cols + ".safetensors");
        new SafeTensorsWriter().addBF16("gate", new long[] {rows, cols}, gaussian(rnd, rows * cols))
                .addBF16("up", new long[] {rows, cols}, gaussian(rnd, rows * cols)).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Matrix gate = Matrix.of(st.tensor("gate")), up = Matrix.of(st.tensor("up"));
            float[] g = new float[n * rows], u = new float[n * rows], gateOut = new float[n * rows], upOut = new float[n * rows];
            MatMulReference.matmul(x, n, gate, null, g);
            MatMulReference.matmul(x, n, up, null, u);
            MatMul.swiGlu(x, n, gate, up, gateOut, upOut);
            assertClose(u, upOut, cols, "up");
            for (int i = 0; i < g.length; i++) {
                float expected = TextOpsReference.silu(g[i]) * u[i];
                double tol = 1e-5 * Math.sqrt(cols) * (1 + Math.abs(g[i])) * (1 + Math.abs(u[i]));
                assertEquals(expected, gateOut[i], tol, "gate element " + i);
            }
        }
    }

    /** A batched decode step's row counts over block-quantized weights: dequantized rows, four input rows at a time. */
    @ParameterizedTest
    @CsvSource({"Q8_0,4,33,64", "Q4_0,5,7,96", "Q8_0,11,40,160", "Q4_0,32,3,32", "Q8_0,33,9,64"})
    void fewRowsOverQuantizedWeightsMatchTheDequantizedProduct(qwen2vl4j.io.DType type, int n, int rows, int cols) {
        Random rnd = new Random(n * 131L + rows);
        Matrix q = Matrix.quantize(Matrix.ofFloats("w", gaussian(rnd, rows * cols), rows, cols), type);
        float[] x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        float[] expected = new float[n * rows], actual = new float[n * rows];
        MatMulReference.matmul(x, n, q, bias, expected);
        MatMul.matmul(x, n, q, bias, actual);
        assertClose(expected, actual, cols, type + " n=" + n + " [" + rows + "," + cols + "]");
    }

    /**
     * Quantized q/k/v (three matrices, one pass over the pool as one range of rows that crosses from matrix to matrix)
     * and gate/up (SwiGLU, the activation applied by each task) for a few input rows give what each matrix's own
     * product gives, with the input quantized once instead of per matrix.
     */
    @ParameterizedTest
    @CsvSource({"Q8_0,1", "Q4_0,1", "Q8_0,3", "Q4_0,2"})
    void fusedQuantizedProductsMatchEachMatrixAlone(DType type, int n) {
        Random rnd = new Random(n * 7L + type.ordinal());
        int cols = 512;
        int[] heights = {301, 77, 77}; // 455 rows x 512: several tasks, whose ranges end inside the small matrices
        Matrix[] w = new Matrix[3];
        float[][] bias = new float[3][], alone = new float[3][], fused = new float[3][];
        for (int m = 0; m < 3; m++) {
            w[m] = Matrix.quantize(Matrix.ofFloats("w" + m, gaussian(rnd, heights[m] * cols), heights[m], cols), type);
            bias[m] = gaussian(rnd, heights[m]);
            alone[m] = new float[n * heights[m]];
            fused[m] = new float[n * heights[m]];
        }
        float[] x = gaussian(rnd, n * cols);
        for (int m = 0; m < 3; m++) QuantGemv.run(x, n, w[m], bias[m], alone[m]);
        MatMul.matmul(x, n, w[0], bias[0], fused[0], w[1], bias[1], fused[1], w[2], bias[2], fused[2]);
        for (int m = 0; m < 3; m++) assertClose(alone[m], fused[m], cols, type + " n=" + n + ", three matrices, matrix " + m);

        Matrix gate = w[1], up = w[2];
        float[] g = new float[n * 77], u = new float[n * 77], gateOut = new float[n * 77], upOut = new float[n * 77];
        QuantGemv.run(x, n, gate, null, g);
        QuantGemv.run(x, n, up, null, u);
        MatMul.swiGlu(x, n, gate, up, gateOut, upOut);
        assertClose(u, upOut, cols, type + " n=" + n + ", SwiGLU up");
        for (int i = 0; i < g.length; i++) {
            assertEquals(TextOpsReference.silu(g[i]) * u[i], gateOut[i], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(g[i])) * (1 + Math.abs(u[i])),
                    type + " n=" + n + ", SwiGLU gate element " + i);
        }
    }

    /**
     * The quantized product's split of a call's rows into tasks: consecutive ranges from the first row to the last,
     * none negative; with more tasks than threads, each thread's first task (the bulk) larger than the later ones.
     */
    @ParameterizedTest
    @CsvSource({"455,6,2", "8960,6,2", "151936,12,4", "5,5,2", "7,3,4", "100,4,4", "1536,1,2"})
    void quantizedSplitCoversEveryRowOnce(int rows, int tasks, int threads) {
        assertEquals(0, QuantGemv.taskStart(rows, 0, tasks, threads), "the first task starts at row 0");
        assertEquals(rows, QuantGemv.taskStart(rows, tasks, tasks, threads), "the last task ends at row " + rows);
        int last = QuantGemv.taskStart(rows, tasks, tasks, threads) - QuantGemv.taskStart(rows, tasks - 1, tasks, threads);
        for (int t = 0; t < tasks; t++) {
            int size = QuantGemv.taskStart(rows, t + 1, tasks, threads) - QuantGemv.taskStart(rows, t, tasks, threads);
            org.junit.jupiter.api.Assertions.assertTrue(size >= 0, "task " + t + " of " + tasks + " over " + rows + " rows: " + size + " rows");
            if (tasks > threads && t < threads && rows >= 8 * tasks) {
                org.junit.jupiter.api.Assertions.assertTrue(size > 2 * last, "task " + t + " (a bulk task) has " + size + " rows, the last " + last);
            }
        }
    }

    @Test
    void quantizedProductsSharingAnInputRefuseMatricesOfAnotherType() {
        Random rnd = new Random(5);
        Matrix q8 = Matrix.quantize(Matrix.ofFloats("q8", gaussian(rnd, 4 * 64), 4, 64), DType.Q8_0);
        Matrix q4 = Matrix.quantize(Matrix.ofFloats("q4", gaussian(rnd, 4 * 64), 4, 64), DType.Q4_0);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> QuantGemv.run(gaussian(rnd, 64), 1, new Matrix[] {q8, q4}, new float[2][], new float[][] {new float[4], new float[4]}));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("q4 is Q4_0"), e.getMessage());
    }

    @Test
    void fusedMatmulRejectsMatricesOfDifferentWidths() {
        Matrix a = Matrix.ofFloats("a", new float[6], 2, 3), b = Matrix.ofFloats("b", new float[8], 2, 4);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MatMul.matmul(new float[3], 1, a, null, new float[2], b, null, new float[2]));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("b [2, 4]"), e.getMessage());
    }

    /** The eight-row bf16 kernel and the pair kernel against their scalar twin, on every tail length of a vector. */
    @Test
    void bf16PairKernelsMatchScalar() throws Exception {
        Random rnd = new Random(11);
        int maxCols = 3 * VectorKernels.BF16_PER_INT_VECTOR + 1, rows = 2 * VectorKernels.ROW_STREAMS + 3;
        for (int cols = 1; cols <= maxCols; cols += 1 + cols / 8) {
            float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, cols);
            Path file = tmp.resolve("pairs" + cols + ".safetensors");
            new SafeTensorsWriter().addBF16("w", new long[] {rows, cols}, w).write(file);
            try (SafeTensors st = SafeTensors.open(file)) {
                Matrix m = Matrix.of(st.tensor("w"));
                float[] even = new float[(cols + 1) / 2], odd = new float[(cols + 1) / 2];
                VectorKernels.deinterleave(x, 0, cols, even, odd);
                float[] expected = new float[rows], pairs = new float[rows], eight = new float[rows];
                for (int r = 0; r < rows; r++) {
                    expected[r] = MatMulReference.dotBf16Pairs(m.data(), 2L * r * cols, even, odd, cols);
                    pairs[r] = VectorKernels.dotBf16Pairs(m.data(), 2L * r * cols, even, odd, cols);
                }
                // rows 1, 3, 5, ... 15 in one call (stride 2 rows), written to eight[1], eight[3], ...
                VectorKernels.dotBf16Rows(m.data(), 2L * cols, 2L * 2 * cols, even, odd, cols, eight, 1, 2);
                assertClose(expected, pairs, cols, "dotBf16Pairs cols=" + cols);
                for (int k = 0; k < VectorKernels.ROW_STREAMS; k++) {
                    int r = 1 + 2 * k;
                    assertEquals(expected[r], eight[r], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(expected[r])), "dotBf16Rows cols=" + cols + " row " + r);
                }
                float sum = 0;
                for (int c = 0; c < cols; c++) sum += x[c] * m.get(0, c);
                assertEquals(sum, expected[0], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(sum)), "deinterleave cols=" + cols);
            }
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
                MatMulReference.matmul(x, n, m, bias, expected);
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

    static float[] gaussian(Random rnd, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static byte[] toF16(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(Float.floatToFloat16(v));
        return b.array();
    }
}
