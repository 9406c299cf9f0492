package qwen2vl4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.QuantGemv;

/**
 * {@code quant-bench}'s older quantized kernels ({@link QuantBaseline}, {@link QuantWidening}) against
 * their scalar references on odd sizes: the first integer kernels against the engine's scalar twin
 * ({@link QuantGemv.Kernel#SCALAR}) on the same quantized activation, the widening ones against their
 * plain-Java twin and against float32 of the dequantized weights. The build runs this class again with
 * the vectors capped at 256 and 128 bits (see the cli pom), as core does its kernel tests.
 */
class QuantBaselinesTest {
    private static final int BLOCK = QuantBaseline.BLOCK;

    /** One row at a time, three rows (the last one ends the segment, where a 128-bit load would read past it). */
    @ParameterizedTest
    @CsvSource({"Q8_0,1", "Q8_0,2", "Q8_0,3", "Q8_0,5", "Q8_0,48", "Q8_0,49", "Q4_0,1", "Q4_0,2", "Q4_0,3", "Q4_0,7", "Q4_0,48", "Q4_0,49"})
    void vectorDotMatchesScalarTwin(DType type, int blocks) {
        Random rnd = new Random(blocks * 31 + type.ordinal());
        int cols = blocks * BLOCK;
        float[] w = gaussian(rnd, 3 * cols), x = gaussian(rnd, cols);
        Matrix m = Matrix.quantize(Matrix.ofFloats("w", w, 3, cols), type);
        float[] expected = new float[3];
        QuantGemv.run(x, 1, m, null, expected, QuantGemv.Kernel.SCALAR);
        short[] qb = new short[cols + 5];
        float[] d = new float[blocks + 2], corr = new float[blocks + 2];
        QuantBaseline.quantizeActivation(type, x, 0, cols, qb, 5, d, corr, 2);
        for (int r = 0; r < 3; r++) {
            long off = m.rowOffset(r);
            float baseline = type == DType.Q8_0
                    ? QuantBaseline.dotQ8(m.data(), off, qb, 5, d, 2, blocks)
                    : QuantBaseline.dotQ4(m.data(), off, qb, 5, d, corr, 2, blocks);
            float magnitude = magnitude(m, r, x, 0);
            assertEquals(expected[r], baseline, 1e-5f * magnitude, type + " baseline, row " + r + " of " + blocks + " blocks");
            assertEquals(QuantWidening.dotScalar(m, r, 0, x, 0), QuantWidening.dot(m, r, x, 0), 1e-5f * magnitude, type + " widening, row " + r);
        }
    }

    /** The interleaved activation is the engine's natural one reordered: per block (x0, x16, x1, x17, …), scales and corrections unchanged. */
    @Test
    void interleavedActivationReordersTheNaturalOne() {
        Random rnd = new Random(8);
        int blocks = 3, cols = blocks * BLOCK;
        float[] x = gaussian(rnd, cols);
        short[] natural = new short[cols + 1], interleaved = new short[cols + 1];
        float[] d = new float[blocks], corr = new float[blocks], d2 = new float[blocks], corr2 = new float[blocks];
        QuantGemv.quantizeActivation(DType.Q4_0, x, 0, cols, natural, 1, d, corr, 0);
        QuantBaseline.quantizeActivation(DType.Q4_0, x, 0, cols, interleaved, 1, d2, corr2, 0);
        assertEquals(0, interleaved[0], "nothing written before qo");
        for (int b = 0; b < blocks; b++) {
            assertEquals(d[b], d2[b]);
            assertEquals(corr[b], corr2[b]);
            for (int j = 0; j < BLOCK / 2; j++) {
                assertEquals(natural[1 + b * BLOCK + j], interleaved[1 + b * BLOCK + 2 * j], "block " + b + " low value " + j);
                assertEquals(natural[1 + b * BLOCK + BLOCK / 2 + j], interleaved[1 + b * BLOCK + 2 * j + 1], "block " + b + " high value " + j);
            }
        }
        short[] q8 = new short[cols];
        QuantBaseline.quantizeActivation(DType.Q8_0, x, 0, cols, q8, 0, d2, null, 0);
        for (int i = 0; i < cols; i++) assertEquals(natural[1 + i], q8[i], "Q8_0 keeps the natural order, value " + i);
    }

    /** Matrices with odd row counts (not a multiple of the threads), 1–3 input rows: both kernels against their references. */
    @ParameterizedTest
    @CsvSource({"Q8_0,1,37,64", "Q8_0,2,1001,160", "Q8_0,3,517,96", "Q4_0,1,37,64", "Q4_0,2,1001,160", "Q4_0,3,517,96", "Q8_0,1,3,1568", "Q4_0,1,2049,32"})
    void quantizedMatmulMatchesTheReferences(DType type, int n, int rows, int cols) {
        Random rnd = new Random(rows + cols + n);
        float[] wf = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Matrix q = Matrix.quantize(Matrix.ofFloats("w", wf, rows, cols), type);
        float[] scalar = new float[n * rows], baseline = new float[n * rows], widening = new float[n * rows];
        QuantGemv.run(x, n, q, bias, scalar, QuantGemv.Kernel.SCALAR);
        QuantBaseline.run(x, n, q, bias, baseline);
        QuantWidening.run(x, n, q, bias, widening);
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                int o = i * rows + r;
                double s = 0, mag = Math.abs(bias[r]);
                for (int c = 0; c < cols; c++) {
                    s += (double) x[i * cols + c] * q.get(r, c);
                    mag += Math.abs(q.get(r, c) * x[i * cols + c]);
                }
                float exact = (float) s + bias[r];
                assertEquals(scalar[o], baseline[o], 1e-5 * mag, "baseline vector kernel vs scalar twin, output " + o);
                assertEquals(exact, widening[o], 1e-5 * mag, "widening vs float32 of the dequantized weights, output " + o);
            }
        }
    }

    @Test
    void theWidthFollowsThePreferredSpecies() {
        int preferred = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertEquals(preferred >= 128 ? Math.min(512, preferred) : 0, QuantBaseline.BITS, "preferred " + preferred + " bits");
        String expected = System.getProperty("qwen2vl4j.test.vectorBits");
        if (expected != null) assertEquals(Integer.parseInt(expected), QuantBaseline.BITS, "-XX:MaxVectorSize should set the width");
    }

    /** Σ |w·x| over row {@code r} of {@code m} (dequantized) and {@code x[xo..]}. */
    private static float magnitude(Matrix m, int r, float[] x, int xo) {
        double s = 0;
        for (int c = 0; c < m.cols(); c++) s += Math.abs(m.get(r, c) * x[xo + c]);
        return (float) s;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
