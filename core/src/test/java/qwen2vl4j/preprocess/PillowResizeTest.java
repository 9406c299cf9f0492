package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PillowResizeTest {
    private static RgbImage noise(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new SplittableRandom(seed).nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }

    @Test
    void vectorAndScalarHorizontalPassesAgree() {
        int[][] sizes = {{4032, 37, 1148}, {333, 517, 336}, {20, 30, 56}, {1500, 120, 1512}, {90, 9, 84}, {171, 3, 500}};
        for (int[] s : sizes) {
            RgbImage img = noise(s[0], s[1], s[0] * 31L + s[1]);
            PillowResize.Coefficients c = PillowResize.Coefficients.compute(s[0], s[2]);
            byte[] fast = PillowResize.horizontalPass(img.rgb(), s[0], 0, s[1], s[2], c);
            byte[] scalar = new byte[fast.length];
            PillowResize.horizontalRowsScalar(img.rgb(), s[0], 0, 0, s[1], s[2], c, scalar);
            assertArrayEquals(scalar, fast, s[0] + "x" + s[1] + " -> " + s[2]);
        }
    }

    @Test
    void unchangedSizeIsACopy() {
        RgbImage img = noise(56, 28, 1);
        RgbImage same = PillowResize.resizeBicubic(img, 56, 28);
        assertEquals(img, same);
        assertNotSame(img.rgb(), same.rgb());
    }

    @Test
    void constantImageStaysConstant() {
        // The normalised weights sum to 1 (to within fixed-point rounding), so a flat image is unchanged.
        byte[] rgb = new byte[100 * 60 * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) 200;
            rgb[i + 1] = 7;
            rgb[i + 2] = (byte) 128;
        }
        RgbImage out = PillowResize.resizeBicubic(new RgbImage(100, 60, rgb), 37, 83);
        for (int i = 0; i < out.rgb().length; i += 3) {
            assertEquals(200, out.rgb()[i] & 0xFF);
            assertEquals(7, out.rgb()[i + 1] & 0xFF);
            assertEquals(128, out.rgb()[i + 2] & 0xFF);
        }
    }

    @Test
    void kernelValues() {
        assertEquals(1.0, PillowResize.bicubic(0), 0);
        assertEquals(0.0, PillowResize.bicubic(1), 0);
        assertEquals(0.0, PillowResize.bicubic(2), 0);
        // a = -0.5: f(0.5) = (1.5 * 0.5 - 2.5) * 0.25 + 1 = 0.5625; f(1.5) = ((1.5 - 5) * 1.5 + 8) * 1.5 - 4) * -0.5 = -0.0625
        assertEquals(0.5625, PillowResize.bicubic(0.5), 1e-15);
        assertEquals(-0.0625, PillowResize.bicubic(-1.5), 1e-15);
    }

    @Test
    void refusesEmptyTargets() {
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resizeBicubic(noise(4, 4, 2), 0, 4));
    }
}
