package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.QuantKernelsScalar.Q4Order;

/**
 * The block quantizers against ggml's definitions, the vector dot products against their scalar
 * twins, and the quantized matrix products against float32 within stated bounds.
 *
 * <p>Error bounds. Weights: Q8_0 reproduces each value within {@code 0.5·d + 127·|d − f16(d)|}
 * ({@code d = max|x|/127}), Q4_0 within {@code |d|} ({@code d = m/−8}; the value of largest magnitude
 * opposite to {@code m} is clamped to q = 15, i.e. off by one step) plus the f16 rounding of d times 8.
 * Activations: rounding to 8 bits moves each input by at most {@code d_a/2}, so an output of the integer
 * path differs from the float product with the dequantized weights by at most
 * {@code Σ_blocks d_a/2 · Σ_block |w|} (plus float rounding).
 */
class QuantKernelsTest {
    private static final int BLOCK = QuantKernelsScalar.BLOCK;

    @Test
    void q8BlockFollowsGgml() {
        float[] x = new float[BLOCK];
        for (int j = 0; j < BLOCK; j++) x[j] = (j - 13) * 0.37f;
        x[5] = -25.4f; // the largest magnitude
        MemorySegment seg = MemorySegment.ofArray(new byte[34]);
        QuantKernelsScalar.quantizeQ8_0(x, 0, BLOCK, seg, 0);
        float d = 25.4f / 127;
        assertEquals(Float.floatToFloat16(d), seg.get(Matrix.SHORT_LE, 0), "scale is f16(max|x| / 127)");
        assertEquals(-127, seg.get(ValueLayout.JAVA_BYTE, 2 + 5));
        for (int j = 0; j < BLOCK; j++) {
            long q = Math.round(Math.abs(x[j]) / d) * (long) Math.signum(x[j]);
            assertEquals(q, seg.get(ValueLayout.JAVA_BYTE, 2 + j), "q of value " + j);
        }
    }

    @Test
    void q4BlockFollowsGgml() {
        float[] x = new float[BLOCK];
        for (int j = 0; j < BLOCK; j++) x[j] = (j % 7 - 3) * 0.5f;
        x[20] = 4f; // the signed maximum: d = 4 / −8 = −0.5, so 4 maps to q = 0 and −4 would clamp to 15
        x[3] = -3.9f;
        MemorySegment seg = MemorySegment.ofArray(new byte[18]);
        QuantKernelsScalar.quantizeQ4_0(x, 0, BLOCK, seg, 0);
        assertEquals(-0.5f, Float.float16ToFloat(seg.get(Matrix.SHORT_LE, 0)));
        for (int j = 0; j < BLOCK; j++) {
            int b = seg.get(ValueLayout.JAVA_BYTE, 2 + j % 16) & 0xFF;
            int q = j < 16 ? b & 0xF : b >>> 4;
            int expected = Math.min(15, (int) (x[j] / -0.5f + 8.5f));
            assertEquals(expected, q, "nibble of value " + j + " (low nibbles hold the first 16 values)");
        }
        float[] back = new float[BLOCK];
        QuantKernelsScalar.dequantize(DType.Q4_0, seg, 0, back, 0, BLOCK);
        assertEquals(4f, back[20]);
        assertEquals(-3.5f, back[3], "−3.9/−0.5 + 8.5 = 16.3 clamps to 15: (15 − 8)·(−0.5)");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void roundTripStaysWithinTheBlockBound(DType type) {
        Random rnd = new Random(type.ordinal());
        int n = 40 * BLOCK;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        x[7] = 0;
        for (int j = 0; j < BLOCK; j++) x[BLOCK + j] = 0; // an all-zero block: d = 0, everything 0
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.byteSize(n)]);
        QuantKernelsScalar.quantize(type, x, 0, n, seg, 0);
        float[] back = new float[n];
        QuantKernelsScalar.dequantize(type, seg, 0, back, 0, n);
        for (int b = 0; b < n / BLOCK; b++) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[b * BLOCK + j]));
            float d = type == DType.Q8_0 ? amax / 127 : amax / 8;
            float d16 = Math.abs(Float.float16ToFloat(Float.floatToFloat16(d)));
            double bound = type == DType.Q8_0 ? 0.5 * d + 127 * Math.abs(d16 - d) : d + 8 * Math.abs(d16 - d);
            for (int j = 0; j < BLOCK; j++) {
                int i = b * BLOCK + j;
                if (!(Math.abs(back[i] - x[i]) <= bound * 1.0001 + 1e-30)) {
                    fail(type + " value " + i + ": " + x[i] + " came back as " + back[i] + " (bound " + bound + ")");
                }
                assertEquals(back[i], QuantKernelsScalar.get(type, seg, 0, n / BLOCK, i), "element access agrees with the row");
            }
        }
    }

    /**
     * Every width's kernels against the scalar twin: the native width at full speed, the others through
     * the Vector API's Java fallback (same results, slowly); then the dispatched kernels at this JVM's
     * width. (The benchmark's first integer kernels and widening ones are checked in the cli module's
     * {@code qwen2vl4j.cli.bench.QuantBaselinesTest}.)
     */
    @ParameterizedTest
    @CsvSource({"Q8_0,1", "Q8_0,2", "Q8_0,3", "Q8_0,5", "Q8_0,48", "Q8_0,49", "Q4_0,1", "Q4_0,2", "Q4_0,3", "Q4_0,7", "Q4_0,48", "Q4_0,49"})
    void vectorDotMatchesScalarTwin(DType type, int blocks) {
        Random rnd = new Random(blocks * 31 + type.ordinal());
        int cols = blocks * BLOCK;
        float[] w = gaussian(rnd, 3 * cols), x = gaussian(rnd, cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.byteSize(3L * cols)]);
        quantizeRows(type, w, 3, cols, seg);
        for (int bits : WIDTHS) {
            Q4Order order = order(bits);
            short[] q = new short[cols + 5];
            float[] d = new float[blocks + 2], corr = new float[blocks + 2];
            QuantKernelsScalar.quantizeActivation(type, order, x, 0, cols, q, 5, d, corr, 2);
            for (int r = 0; r < 3; r++) {
                long off = type.byteSize((long) r * cols);
                float expected = scalarDot(type, order, seg, off, q, 5, d, corr, 2, blocks);
                assertEquals(expected, dot(bits, type, seg, off, q, 5, d, corr, 2, blocks), 1e-5f * magnitude(seg, type, off, x, cols),
                        type + " " + bits + "-bit kernel, row " + r + " of " + blocks + " blocks");
            }
        }
        short[] q = new short[cols + 5];
        float[] d = new float[blocks + 2], corr = new float[blocks + 2];
        QuantKernelsScalar.quantizeActivation(type, QuantKernels.Q4_ORDER, x, 0, cols, q, 5, d, corr, 2);
        for (int r = 0; r < 3; r++) {
            long off = type.byteSize((long) r * cols);
            float expected = scalarDot(type, QuantKernels.Q4_ORDER, seg, off, q, 5, d, corr, 2, blocks);
            float actual = type == DType.Q8_0
                    ? QuantKernels.dotQ8(seg, off, q, 5, d, 2, blocks)
                    : QuantKernels.dotQ4(seg, off, q, 5, d, corr, 2, blocks, new float[QuantKernels.q4Scratch(blocks)]);
            float magnitude = magnitude(seg, type, off, x, cols);
            assertEquals(expected, actual, 1e-5f * magnitude, type + " row " + r + " of " + blocks + " blocks");
        }
    }

    /**
     * The public activation quantizer (what the benchmark's older kernels start from) is the scalar one
     * in the natural order: per block {@code d = max|x| / 127}, value j at {@code 32·b + j} as
     * {@code round(x / d)}, for Q4_0 the correction {@code −8 · Σ q}; float types are refused.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void publicActivationQuantizerIsTheNaturalOrder(DType type) {
        Random rnd = new Random(5 + type.ordinal());
        int blocks = 3, cols = blocks * BLOCK;
        float[] x = gaussian(rnd, cols);
        short[] q = new short[cols + 2];
        float[] d = new float[blocks + 1], corr = new float[blocks + 1];
        QuantGemv.quantizeActivation(type, x, 0, cols, q, 2, d, corr, 1);
        assertEquals(0, q[0] | q[1], "nothing written before qo");
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[b * BLOCK + j]));
            assertEquals(amax / 127, d[1 + b], "scale of block " + b);
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                int expected = QuantKernelsScalar.roundHalfAway(x[b * BLOCK + j] * (1f / d[1 + b]));
                assertEquals(expected, q[2 + b * BLOCK + j], "block " + b + ", value " + j);
                sum += expected;
            }
            assertEquals(type == DType.Q4_0 ? -8f * sum : 0f, corr[1 + b], "correction of block " + b);
        }
        assertThrows(IllegalArgumentException.class, () -> QuantGemv.quantizeActivation(DType.F32, x, 0, cols, q, 0, d, corr, 0));
    }

    /**
     * The two-row kernels of every width give each row what the scalar twin gives it, in either order
     * and for rows far apart; then the dispatched ones.
     */
    @ParameterizedTest
    @CsvSource({"Q8_0,1", "Q8_0,2", "Q8_0,3", "Q8_0,48", "Q8_0,49", "Q4_0,1", "Q4_0,2", "Q4_0,7", "Q4_0,48", "Q4_0,49"})
    void twoRowDotsMatchScalarTwin(DType type, int blocks) {
        Random rnd = new Random(blocks * 17 + type.ordinal());
        int cols = blocks * BLOCK;
        float[] w = gaussian(rnd, 4 * cols), x = gaussian(rnd, cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.byteSize(4L * cols)]);
        quantizeRows(type, w, 4, cols, seg);
        for (int bits : new int[] {512, 256, 128, 0}) {
            Q4Order order = bits == 0 ? QuantKernels.Q4_ORDER : order(bits);
            String kernel = bits == 0 ? "dispatched (" + QuantKernels.BITS + "-bit)" : bits + "-bit";
            short[] q = new short[cols + 3];
            float[] d = new float[blocks + 1], corr = new float[blocks + 1];
            QuantKernelsScalar.quantizeActivation(type, order, x, 0, cols, q, 3, d, corr, 1);
            int[][] pairs = {{0, 1}, {3, 0}, {2, 2}};
            for (int[] pair : pairs) {
                long off0 = type.byteSize((long) pair[0] * cols), off1 = type.byteSize((long) pair[1] * cols);
                float[] out = new float[4];
                dot2(bits, type, seg, off0, off1, q, 3, d, corr, 1, blocks, out, 1);
                for (int k = 0; k < 2; k++) {
                    long off = k == 0 ? off0 : off1;
                    float expected = scalarDot(type, order, seg, off, q, 3, d, corr, 1, blocks);
                    assertEquals(expected, out[1 + k], 1e-5f * magnitude(seg, type, off, x, cols),
                            type + " " + kernel + " rows " + pair[0] + "," + pair[1] + ": output " + k);
                }
                assertEquals(0f, out[0], "nothing written before o");
                assertEquals(0f, out[3], "nothing written after o + 1");
            }
        }
    }

    /**
     * The kernels run at the JVM's preferred width (capped at 512 bits); where the build sets
     * {@code qwen2vl4j.test.vectorBits} (the executions with {@code -XX:MaxVectorSize}), exactly that one.
     */
    @Test
    void kernelsRunAtThePreferredWidth() {
        int preferred = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        System.out.println("QuantKernelsTest: preferred species " + preferred + " bits, quantized kernels at " + QuantKernels.BITS
                + " bits, Q4_0 activation order " + QuantKernels.Q4_ORDER);
        assertEquals(Math.min(512, preferred), QuantKernels.BITS, "preferred " + preferred + " bits");
        assertEquals(QuantKernels.BITS == 512 ? Q4Order.PAIRED : Q4Order.FOLDED, QuantKernels.Q4_ORDER);
        String expected = System.getProperty("qwen2vl4j.test.vectorBits");
        if (expected != null) assertEquals(Integer.parseInt(expected), QuantKernels.BITS, "-XX:MaxVectorSize should set the width");
    }

    private static final int[] WIDTHS = {512, 256, 128};

    private static Q4Order order(int bits) {
        return bits == 512 ? Q4Order.PAIRED : Q4Order.FOLDED;
    }

    private static float scalarDot(DType type, Q4Order order, MemorySegment seg, long off, short[] q, int qo, float[] d, float[] corr, int dOff,
                                   int blocks) {
        return type == DType.Q8_0
                ? QuantKernelsScalar.dotQ8(seg, off, q, qo, d, dOff, blocks)
                : QuantKernelsScalar.dotQ4(order, seg, off, q, qo, d, corr, dOff, blocks);
    }

    /** One row with the kernel of width {@code bits}. */
    static float dot(int bits, DType type, MemorySegment seg, long off, short[] q, int qo, float[] d, float[] corr, int dOff, int blocks) {
        boolean q8 = type == DType.Q8_0;
        return switch (bits) {
            case 512 -> q8 ? QuantKernels512.dotQ8(seg, off, q, qo, d, dOff, blocks) : QuantKernels512.dotQ4(seg, off, q, qo, d, corr, dOff, blocks);
            case 256 -> q8 ? QuantKernels256.dotQ8(seg, off, q, qo, d, dOff, blocks)
                    : QuantKernels256.dotQ4(seg, off, q, qo, d, corr, dOff, blocks, new float[QuantKernels.q4Scratch(blocks)]);
            case 128 -> q8 ? QuantKernels128.dotQ8(seg, off, q, qo, d, dOff, blocks) : QuantKernels128.dotQ4(seg, off, q, qo, d, corr, dOff, blocks);
            default -> throw new IllegalArgumentException("no " + bits + "-bit kernel");
        };
    }

    /** Two rows with the two-row kernel of width {@code bits}, or the dispatched one for 0. */
    private static void dot2(int bits, DType type, MemorySegment seg, long off0, long off1, short[] q, int qo, float[] d, float[] corr, int dOff,
                             int blocks, float[] out, int o) {
        boolean q8 = type == DType.Q8_0;
        switch (bits) {
            case 512 -> {
                if (q8) QuantKernels512.dotQ8x2(seg, off0, off1, q, qo, d, dOff, blocks, out, o);
                else QuantKernels512.dotQ4x2(seg, off0, off1, q, qo, d, corr, dOff, blocks, out, o);
            }
            case 256 -> {
                if (q8) QuantKernels256.dotQ8x2(seg, off0, off1, q, qo, d, dOff, blocks, out, o);
                else QuantKernels256.dotQ4x2(seg, off0, off1, q, qo, d, corr, dOff, blocks, out, o, new float[QuantKernels.q4Scratch(blocks)]);
            }
            case 128 -> {
                if (q8) QuantKernels128.dotQ8x2(seg, off0, off1, q, qo, d, dOff, blocks, out, o);
                else QuantKernels128.dotQ4x2(seg, off0, off1, q, qo, d, corr, dOff, blocks, out, o);
            }
            default -> {
                if (q8) QuantKernels.dotQ8x2(seg, off0, off1, q, qo, d, dOff, blocks, out, o);
                else QuantKernels.dotQ4x2(seg, off0, off1, q, qo, d, corr, dOff, blocks, out, o, new float[QuantKernels.q4Scratch(blocks)]);
            }
        }
    }

    /**
     * Matrices with odd row counts (not a multiple of the threads), 1–3 input rows: the integer kernels
     * against their scalar twins and float32. (The benchmark's older kernels on the same matrices: the
     * cli module's {@code qwen2vl4j.cli.bench.QuantBaselinesTest}.)
     */
    @ParameterizedTest
    @CsvSource({"Q8_0,1,37,64", "Q8_0,2,1001,160", "Q8_0,3,517,96", "Q4_0,1,37,64", "Q4_0,2,1001,160", "Q4_0,3,517,96", "Q8_0,1,3,1568", "Q4_0,1,2049,32"})
    void quantizedMatmulStaysWithinTheActivationBound(DType type, int n, int rows, int cols) {
        Random rnd = new Random(rows + cols + n);
        float[] wf = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Matrix q = Matrix.quantize(Matrix.ofFloats("w", wf, rows, cols), type);
        float[] deq = new float[rows * cols];
        for (int r = 0; r < rows; r++) q.row(r, deq, r * cols);
        float[] exact = new float[n * rows];
        MatMulReference.matmul(x, n, Matrix.ofFloats("deq", deq, rows, cols), bias, exact);

        float[] integer = new float[n * rows], scalar = new float[n * rows], dispatched = new float[n * rows];
        QuantGemv.run(x, n, q, bias, integer, QuantGemv.Kernel.INTEGER);
        QuantGemv.run(x, n, q, bias, scalar, QuantGemv.Kernel.SCALAR);
        MatMul.matmul(x, n, q, bias, dispatched);
        for (int i = 0; i < n; i++) {
            float[] bound = activationBound(x, i * cols, deq, rows, cols);
            for (int r = 0; r < rows; r++) {
                int o = i * rows + r;
                double mag = magnitude(deq, r * cols, x, i * cols, cols) + Math.abs(bias[r]);
                assertEquals(scalar[o], integer[o], 1e-5 * mag, "vector vs scalar twin, output " + o);
                assertEquals(integer[o], dispatched[o], 1e-6 * mag, "MatMul.matmul takes the integer kernel for few rows (up to the reduction order)");
                if (!(Math.abs(integer[o] - exact[o]) <= bound[r] + 1e-5 * mag)) {
                    fail(type + " output " + o + ": " + integer[o] + " vs float32 " + exact[o] + ", bound " + bound[r]);
                }
            }
        }
    }

    /** Four or more input rows take the tiled GEMM over dequantized panels: float32 accuracy. */
    @ParameterizedTest
    @CsvSource({"Q8_0,4,37,64", "Q8_0,13,130,288", "Q4_0,7,65,160", "Q4_0,20,9,32"})
    void manyRowsUseTheGemmOnDequantizedWeights(DType type, int n, int rows, int cols) {
        Random rnd = new Random(n * rows + cols);
        float[] wf = gaussian(rnd, rows * cols), x = gaussian(rnd, n * cols), bias = gaussian(rnd, rows);
        Matrix q = Matrix.quantize(Matrix.ofFloats("w", wf, rows, cols), type);
        float[] expected = new float[n * rows], actual = new float[n * rows];
        MatMulReference.matmul(x, n, q, bias, expected);
        MatMul.matmul(x, n, q, bias, actual);
        float[] deq = new float[cols];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                q.row(r, deq, 0);
                double mag = magnitude(deq, 0, x, i * cols, cols) + Math.abs(bias[r]);
                assertEquals(expected[i * rows + r], actual[i * rows + r], 1e-5 * mag, "output " + i + "," + r);
            }
        }
    }

    /** A Q4_0 row is planar: the scales of its blocks, then their nibbles, 18 bytes per block as in GGUF. */
    @Test
    void q4RowIsPlanar() {
        float[] x = new float[3 * BLOCK];
        for (int j = 0; j < x.length; j++) x[j] = (j % 5 - 2) * (1 + j / BLOCK);
        MemorySegment planar = MemorySegment.ofArray(new byte[3 * 18]), single = MemorySegment.ofArray(new byte[18]);
        QuantKernelsScalar.quantizeQ4_0(x, 0, x.length, planar, 0);
        for (int b = 0; b < 3; b++) {
            QuantKernelsScalar.quantizeQ4_0(x, b * BLOCK, BLOCK, single, 0); // a one-block row is one GGUF block
            assertEquals(single.get(Matrix.SHORT_LE, 0), planar.get(Matrix.SHORT_LE, 2L * b), "scale of block " + b + " at byte " + 2 * b);
            for (int j = 0; j < 16; j++) {
                assertEquals(single.get(ValueLayout.JAVA_BYTE, 2 + j), planar.get(ValueLayout.JAVA_BYTE, 6 + 16L * b + j), "nibbles of block " + b);
            }
        }
    }

    /**
     * The scale pass of the 256-bit Q4_0 kernel converts f16 scales as {@link Float#float16ToFloat} does, bit
     * for bit: every finite 16-bit pattern in one row (its vector conversion), then every pattern (a row with
     * infinities and NaNs, converted again one by one; NaNs: any NaN); then a row whose block count is not a multiple
     * of the lanes, with its correction.
     */
    @Test
    void rowScalesConvertEveryF16Exactly() {
        short[] finite = new short[63488], every = new short[65536];
        for (int h = 0, f = 0; h < 65536; h++) {
            every[h] = (short) (h * 4099);
            if ((every[h] & 0x7C00) != 0x7C00) finite[f++] = every[h];
        }
        for (short[] patterns : new short[][] {finite, every}) {
            int blocks = patterns.length;
            MemorySegment row = MemorySegment.ofArray(new byte[2 * blocks]);
            for (int h = 0; h < blocks; h++) row.set(Matrix.SHORT_LE, 2L * h, patterns[h]);
            float[] da = new float[blocks + 1], corr = new float[blocks + 1], scales = new float[QuantKernels.q4Scratch(blocks)];
            java.util.Arrays.fill(da, 1f);
            QuantKernels256.rowScales(row, 0, -1, da, corr, 1, blocks, scales);
            for (int h = 0; h < blocks; h++) {
                float expected = Float.float16ToFloat(patterns[h]);
                String what = "f16 0x" + Integer.toHexString(patterns[h] & 0xFFFF) + " in a row of " + blocks;
                if (Float.isNaN(expected)) assertTrue(Float.isNaN(scales[h]), what);
                else assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(scales[h]), what);
            }
        }
        int blocks = 13;
        MemorySegment row = MemorySegment.ofArray(new byte[2 * blocks]);
        for (int h = 0; h < blocks; h++) row.set(Matrix.SHORT_LE, 2L * h, (short) (h * 4099));
        float[] da = new float[blocks + 1], corr = new float[blocks + 1], scales = new float[QuantKernels.q4Scratch(blocks)];
        java.util.Arrays.fill(da, 1f);
        corr[2] = 3f; // block 1 (dOff = 1), in the eight blocks converted at once
        corr[11] = -2f; // block 10, one of the five left over
        QuantKernels256.rowScales(row, 0, 0, da, corr, 1, blocks, scales); // the same row twice: the second correction follows the first
        for (int k = 0; k < 2; k++) {
            float sum = 0;
            for (int l = 0; l < 8; l++) sum += scales[QuantKernels256.correction(blocks, k) + l];
            assertEquals(3f * Float.float16ToFloat((short) 4099) - 2f * Float.float16ToFloat((short) (10 * 4099)), sum / 65536,
                    "row " + k + ": the correction (times 2^16), scale 1 times 3 plus scale 10 times -2");
        }
    }

    /** Any whole blocks of a row, as the GEMM's panels read them, with the vector dequantizer and its scalar twin. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void partOfARowDequantizesAsTheWholeRow(DType type) {
        Random rnd = new Random(7 + type.ordinal());
        int blocks = 9, cols = blocks * BLOCK;
        float[] w = gaussian(rnd, 2 * cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.byteSize(2L * cols)]);
        quantizeRows(type, w, 2, cols, seg);
        long row = type.byteSize(cols);
        float[] whole = new float[cols];
        QuantKernelsScalar.dequantize(type, seg, row, whole, 0, cols);
        for (int from = 0; from < blocks; from += 4) {
            int n = Math.min(3, blocks - from) * BLOCK;
            float[] vector = new float[n], scalar = new float[n];
            QuantKernels.dequantize(type, seg, row, blocks, from, vector, 0, n);
            QuantKernelsScalar.dequantize(type, seg, row, blocks, from, scalar, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(whole[from * BLOCK + i], vector[i], "vector, block " + from + " value " + i);
                assertEquals(whole[from * BLOCK + i], scalar[i], "scalar, block " + from + " value " + i);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"Q8_0,1", "Q8_0,7", "Q8_0,48", "Q4_0,1", "Q4_0,7", "Q4_0,48"})
    void vectorDequantizeMatchesScalarTwinExactly(DType type, int blocks) {
        Random rnd = new Random(blocks + 100L * type.ordinal());
        int n = blocks * BLOCK;
        float[] x = gaussian(rnd, n);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.byteSize(n)]);
        QuantKernelsScalar.quantize(type, x, 0, n, seg, 0);
        float[] expected = new float[n + 3], actual = new float[n + 3];
        QuantKernelsScalar.dequantize(type, seg, 0, expected, 3, n);
        QuantKernels.dequantize(type, seg, 0, actual, 3, n);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, "one float multiply per value: bit-exact");
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRejected() {
        Matrix m = Matrix.ofFloats("model.visual.odd", new float[3 * 40], 3, 40);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Matrix.quantize(m, DType.Q8_0));
        assertTrue(e.getMessage().contains("model.visual.odd") && e.getMessage().contains("32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Matrix.quantize(Matrix.ofFloats("w", new float[64], 2, 32), DType.BF16));
    }

    @Test
    void quantizedMatrixReportsItsBytes() {
        Matrix m = Matrix.ofFloats("w", new float[5 * 64], 5, 64);
        assertEquals(5 * 2 * 34, Matrix.quantize(m, DType.Q8_0).byteSize());
        assertEquals(5 * 2 * 18, Matrix.quantize(m, DType.Q4_0).byteSize());
        assertEquals(5 * 64 * 4, m.byteSize());
    }

    /** Per weight row: Σ_blocks (d_a / 2) · Σ_block |w|, the most that rounding the activation to 8 bits can move an output. */
    private static float[] activationBound(float[] x, int xo, float[] w, int rows, int cols) {
        float[] bound = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int b = 0; b < cols / BLOCK; b++) {
                float amax = 0;
                double wsum = 0;
                for (int j = 0; j < BLOCK; j++) {
                    amax = Math.max(amax, Math.abs(x[xo + b * BLOCK + j]));
                    wsum += Math.abs(w[r * cols + b * BLOCK + j]);
                }
                s += amax / 127 / 2 * wsum;
            }
            bound[r] = (float) s;
        }
        return bound;
    }

    static float magnitude(MemorySegment seg, DType type, long off, float[] x, int cols) {
        float[] row = new float[cols];
        QuantKernelsScalar.dequantize(type, seg, off, row, 0, cols);
        return (float) magnitude(row, 0, x, 0, cols);
    }

    private static double magnitude(float[] w, int wo, float[] x, int xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(w[wo + i] * x[xo + i]);
        return s;
    }

    /** {@code rows} rows of {@code cols} values from {@code w}, each quantized as a row of its own, one after the other. */
    static void quantizeRows(DType type, float[] w, int rows, int cols, MemorySegment seg) {
        for (int r = 0; r < rows; r++) QuantKernelsScalar.quantize(type, w, r * cols, cols, seg, type.byteSize((long) r * cols));
    }

    static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
