package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.SafeTensorsWriter;

/**
 * {@link GemmFewRows} gives every output the same float as the tiled {@link Gemm} (the row-stable products rely on it):
 * every weight format, with and without bias, 1 to 33 input rows (partial groups of input rows), weight rows that leave
 * a tail of single rows, widths with a partial last block of {@link Gemm#KC} columns.
 */
class GemmFewRowsTest {
    @TempDir
    Path tmp;

    @Test
    void everyOutputEqualsTheTiledGemmBitForBit() throws Exception {
        for (int[] shape : new int[][] {{37, 300}, {6, 128}, {41, 320}}) {
            int rows = shape[0], cols = shape[1];
            Random rnd = new Random(rows * 31L + cols);
            float[] w = MatMulTest.gaussian(rnd, rows * cols);
            Path file = tmp.resolve("w" + rows + "x" + cols + ".safetensors");
            long[] dims = {rows, cols};
            new SafeTensorsWriter().addBF16("bf16", dims, w).addRaw("f16", DType.F16, dims, MatMulTest.toF16(w)).addF32("f32", dims, w).write(file);
            try (SafeTensors st = SafeTensors.open(file)) {
                List<Matrix> matrices = new ArrayList<>();
                for (String name : new String[] {"bf16", "f16", "f32"}) matrices.add(Matrix.of(st.tensor(name)));
                if (cols % 32 == 0) {
                    matrices.add(Matrix.quantize(matrices.get(2), DType.Q8_0));
                    matrices.add(Matrix.quantize(matrices.get(2), DType.Q4_0));
                }
                for (Matrix m : matrices) {
                    for (int n = 1; n <= GemmFewRows.MAX_ROWS + 1; n++) {
                        float[] x = MatMulTest.gaussian(rnd, n * cols);
                        for (float[] bias : new float[][] {null, MatMulTest.gaussian(rnd, rows)}) {
                            float[] tiled = new float[n * rows], few = new float[n * rows];
                            Gemm.run(x, n, m, bias, tiled);
                            GemmFewRows.run(x, n, m, bias, few);
                            assertArrayEquals(tiled, few, m.dtype() + " [" + rows + "x" + cols + "], " + n + " rows, bias " + (bias != null));
                        }
                    }
                }
            }
        }
    }
}
