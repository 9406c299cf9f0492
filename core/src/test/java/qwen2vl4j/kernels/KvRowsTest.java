package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link KvRows}: rounding of the 16-bit forms, widening, growth. */
class KvRowsTest {
    @Test
    void bf16RoundsToNearestEven() {
        float one = 1f, ulp = 0x1p-7f;                                   // bf16 spacing just above 1
        assertEquals(one, KvRows.fromBf16(KvRows.toBf16(one + ulp / 2)), "tie rounds down to the even 1.0");
        assertEquals(one + 2 * ulp, KvRows.fromBf16(KvRows.toBf16(one + 3 * ulp / 2)), "tie rounds up to the even neighbour");
        assertEquals(one + ulp, KvRows.fromBf16(KvRows.toBf16(one + ulp * 0.75f)), "above the tie rounds up");
        assertTrue(Float.isNaN(KvRows.fromBf16(KvRows.toBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, KvRows.fromBf16(KvRows.toBf16(Float.POSITIVE_INFINITY)));
    }

    @Test
    void f16SaturatesBeyondItsRangeInsteadOfStoringInfinity() {
        KvRows rows = new KvRows(KvRows.Precision.F16, 6);
        rows.ensureCapacity(1);
        rows.write(0, new float[] {1e6f, -1e6f, Float.POSITIVE_INFINITY, 65504f, 1.5f, Float.NaN}, 0, 1);
        assertEquals(65504f, rows.get(0, 0));
        assertEquals(-65504f, rows.get(0, 1));
        assertEquals(65504f, rows.get(0, 2));
        assertEquals(65504f, rows.get(0, 3));
        assertEquals(1.5f, rows.get(0, 4), "values in range are stored as before");
        assertTrue(Float.isNaN(rows.get(0, 5)));
    }

    @ParameterizedTest
    @EnumSource(KvRows.Precision.class)
    void storesRowsAndWidensThemBackAcrossGrowth(KvRows.Precision p) {
        int width = 37;
        Random rnd = new Random(3);
        float[] src = new float[5 * width];
        for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextGaussian() * 10;
        KvRows rows = new KvRows(p, width);
        rows.ensureCapacity(2);
        rows.write(0, src, 0, 2);
        rows.ensureCapacity(9);                                          // growth keeps rows 0 and 1
        rows.write(2, src, 2 * width, 3);
        float[] tile = new float[5 * 19];
        if (p != KvRows.Precision.F32) rows.widen(0, 5, 11, 19, tile);
        for (int r = 0; r < 5; r++) {
            for (int c = 0; c < width; c++) {
                float v = src[r * width + c];
                float expected = switch (p) {
                    case F32 -> v;
                    case BF16 -> KvRows.fromBf16(KvRows.toBf16(v));
                    case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
                };
                assertEquals(expected, rows.get(r, c), "row " + r + " col " + c);
                if (p != KvRows.Precision.F32 && c >= 11 && c < 30) assertEquals(expected, tile[r * 19 + c - 11], "widened " + r + "," + c);
            }
        }
        assertEquals(width * p.bytes(), rows.bytesPerRow());
        assertThrows(IndexOutOfBoundsException.class, () -> rows.write(8, src, 0, 2));
    }
}
