package qwen2vl4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import qwen2vl4j.kernels.Matrix;

/** The benchmark's baseline kernels and machine probe against plain loops, on odd sizes. */
class BaselinesTest {
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    /** The row-wise GEMV baseline (bf16 rows read in place for one input row, widened rows for several). */
    @ParameterizedTest
    @CsvSource({"1,50,77", "9,50,77", "1,33,1", "3,7,130"})
    void rowwiseBaselineMatchesPlainProducts(int n, int rows, int cols) throws Exception {
        check(n, rows, cols, false);
    }

    /** The previous tiled GEMM: a partial tile and row block, a column block cut short. */
    @ParameterizedTest
    @CsvSource({"15,70,150", "6,32,128", "7,33,129", "13,1,300"})
    void tiledBaselineMatchesPlainProducts(int n, int rows, int cols) throws Exception {
        check(n, rows, cols, true);
    }

    @Test
    void attentionBaselineIsSoftmaxWeightedValues() {
        Random rnd = new Random(4);
        int headDim = 19, stride = 3 * headDim + 2, kvOff = headDim + 1, nKeys = 77;
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] q = gaussian(rnd, headDim + 4), keys = gaussian(rnd, nKeys * stride), values = gaussian(rnd, nKeys * stride);
        float[] scores = new float[nKeys], out = new float[headDim + 2];
        AttentionBaseline.attend(q, 4, keys, values, kvOff, stride, nKeys, headDim, scale, scores, out, 2);
        double[] p = new double[nKeys];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int t = 0; t < nKeys; t++) {
            double s = 0;
            for (int d = 0; d < headDim; d++) s += (double) q[4 + d] * keys[t * stride + kvOff + d];
            max = Math.max(max, p[t] = s * scale);
        }
        for (int t = 0; t < nKeys; t++) sum += p[t] = Math.exp(p[t] - max);
        for (int d = 0; d < headDim; d++) {
            double o = 0;
            for (int t = 0; t < nKeys; t++) o += p[t] / sum * values[t * stride + kvOff + d];
            assertEquals(o, out[2 + d], 1e-5 * (1 + Math.abs(o)), "output " + d);
        }
    }

    /** Both streaming sums add up exactly the floats of their range (small integers, so every order is exact). */
    @Test
    void streamingSumsMatchAPlainSum() {
        int vector = MachineProbe.floatLanes() * Float.BYTES;
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1 << 16, 64);
            for (long o = 0; o < seg.byteSize(); o += 4) seg.set(FLOAT_LE, o, rnd.nextInt(9) - 4);
            long[][] ranges = {{0, 1 << 16}, {4L * vector, 4L * vector + 3 * 8L * vector}, {8L * vector, 8L * vector + 64L * vector}};
            for (long[] r : ranges) {
                float expected = 0;
                for (long o = r[0]; o < r[1]; o += 4) expected += seg.get(FLOAT_LE, o);
                assertEquals(expected, MachineProbe.sumFloats(seg, r[0], r[1]), "sumFloats " + r[0] + ".." + r[1]);
                assertEquals(expected, MachineProbe.sumFloatStreams(seg, r[0], r[1]), "sumFloatStreams " + r[0] + ".." + r[1]);
            }
        }
    }

    @Test
    void bandwidthAndFmaPeakArePositiveFiniteRates() {
        double rate = MachineProbe.readBandwidth(16 << 20, 2);
        assertTrue(rate > 0 && Double.isFinite(rate), "read bandwidth " + rate);
        double flops = MachineProbe.fmaThroughput(0.05, 1);
        assertTrue(flops > 0 && Double.isFinite(flops), "FMA peak " + flops);
    }

    private void check(int n, int rows, int cols, boolean tiled) throws Exception {
        Random rnd = new Random(n * 1000L + rows * 10L + cols);
        float[] w = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Path file = tmp.resolve("w" + n + "_" + rows + "_" + cols + ".safetensors");
        new SafeTensorsWriter().addBF16("bf16", new long[] {rows, cols}, w).addF32("f32", new long[] {rows, cols}, w).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : new String[] {"bf16", "f32"}) {
                Matrix m = Matrix.of(st.tensor(name));
                assertEquals(name.equals("bf16") ? DType.BF16 : DType.F32, m.dtype());
                float[] actual = new float[n * rows];
                if (tiled) GemmBaseline.run(x, n, m, bias, actual);
                else GemvBaseline.run(x, n, m, bias, actual);
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < rows; r++) {
                        double s = bias[r];
                        for (int c = 0; c < cols; c++) s += (double) x[i * cols + c] * m.get(r, c);
                        assertEquals(s, actual[i * rows + r], 1e-5 * Math.sqrt(cols) * (1 + Math.abs(s)), name + " row " + i + ", " + r);
                    }
                }
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
