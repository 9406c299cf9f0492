package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NativeRowsTest {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 31, 133, 300_007})
    void bf16RoundingMatchesTheReferenceOnOddSizes(int n) {
        float[] x = values(n, 1);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment dst = arena.allocate(2L * n + 2);
            NativeRows.toBf16(x, n, dst);
            for (int i = 0; i < n; i++) {
                assertEquals(NativeRowsReference.bf16(x[i]), dst.get(SHORT, 2L * i), "value " + i + ": " + x[i]);
            }
        }
    }

    @Test
    void tiesGoToEvenAndSpecialValuesKeepTheirMeaning() {
        float[] x = {Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), Float.intBitsToFloat(0x3F808001),
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x7F800001), -0f, Float.MIN_VALUE, 1e-40f};
        short[] expected = {0x3F80, 0x3F82, 0x3F81, 0x7F80, (short) 0xFF80, 0x7F80, (short) 0xFF80, 0x7FC0, 0x7FC0, (short) 0x8000, 0, 0x0001};
        try (Arena arena = Arena.ofShared()) {
            MemorySegment dst = arena.allocate(2L * x.length);
            NativeRows.toBf16(x, x.length, dst);
            for (int i = 0; i < x.length; i++) {
                assertEquals(expected[i], dst.get(SHORT, 2L * i), "value " + i + ": " + x[i]);
                assertEquals(expected[i], NativeRowsReference.bf16(x[i]), "reference, value " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 129, 1031})
    void rowsGoThereAndBackWithTheBiasAdded(int cols) {
        int rows = 67;
        float[] x = values(rows * cols, 2), bias = values(cols, 3), out = new float[rows * cols + 5], plain = new float[rows * cols];
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(4L * rows * cols);
            NativeRows.toF32(x, rows * cols, seg);
            for (int i = 0; i < rows * cols; i++) assertEquals(x[i], seg.get(FLOAT, 4L * i));
            NativeRows.fromF32(seg, rows, cols, null, plain);
            assertArrayEquals(x, plain);
            NativeRows.fromF32(seg, rows, cols, bias, out);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) assertEquals(x[r * cols + c] + bias[c], out[r * cols + c], "row " + r + ", column " + c);
            }
            assertEquals(0f, out[rows * cols], "nothing written past the rows");
        }
    }

    @Test
    void sizesThatDoNotFitAreRefused() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment small = arena.allocate(16);
            assertThrows(IllegalArgumentException.class, () -> NativeRows.toBf16(new float[8], 8, small.asSlice(0, 14)));
            assertThrows(IllegalArgumentException.class, () -> NativeRows.toF32(new float[8], 5, small));
            assertThrows(IllegalArgumentException.class, () -> NativeRows.fromF32(small, 1, 5, null, new float[5]));
        }
    }

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 5) {
                case 0 -> (float) r.nextGaussian() * 1e3f;
                case 1 -> Float.intBitsToFloat(r.nextInt());          // any bits: NaNs, infinities, subnormals
                default -> (float) r.nextGaussian();
            };
        }
        return v;
    }
}
