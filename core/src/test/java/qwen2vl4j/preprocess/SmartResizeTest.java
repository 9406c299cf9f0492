package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SmartResizeTest {
    private static final long MIN = 3136, MAX = 12845056;

    private static int[] resize(int h, int w) {
        return SmartResize.smartResize(h, w, 28, MIN, MAX);
    }

    @Test
    void workedExamplesOfTheSpec() {
        assertArrayEquals(new int[] {1372, 2044}, resize(1365, 2048));
        assertArrayEquals(new int[] {224, 224}, resize(224, 224));
        assertArrayEquals(new int[] {476, 644}, resize(480, 640));
        assertArrayEquals(new int[] {2912, 4368}, resize(4000, 6000));
    }

    @Test
    void roundsHalfToEven() {
        // 70 / 28 = 2.5 rounds to 2 (Python round), not 3 as Math.round would.
        assertArrayEquals(new int[] {56, 56}, resize(70, 70));
        // 98 / 28 = 3.5 rounds to 4.
        assertArrayEquals(new int[] {112, 112}, resize(98, 98));
    }

    @Test
    void growsSmallImagesToTheMinimum() {
        // 20x30 (w x h): beta = sqrt(3136 / 600); ceil(30 * beta / 28) = 3, ceil(20 * beta / 28) = 2.
        assertArrayEquals(new int[] {84, 56}, resize(30, 20));
        int[] tiny = resize(1, 1);
        assertArrayEquals(new int[] {56, 56}, tiny);
    }

    @Test
    void shrinksToTheMaximum() {
        int[] r = SmartResize.smartResize(3000, 4000, 28, MIN, 28 * 28 * 256);
        assertTrue((long) r[0] * r[1] <= 28 * 28 * 256, "within budget");
        // beta = sqrt(12e6 / 200704) = 7.732; floor(3000 / beta / 28) = 13, floor(4000 / beta / 28) = 18.
        assertArrayEquals(new int[] {364, 504}, r);
    }

    @Test
    void sidesUnderHalfTheFactorDependOnTheVariant() {
        // 10x600: transformers rounds 10/28 to 0, so 0 < min_pixels and the image grows:
        // beta = sqrt(3136 / 6000) = 0.723; ceil(10 * beta / 28) = 1 -> 28, ceil(600 * beta / 28) = 16 -> 448.
        assertArrayEquals(new int[] {28, 448}, resize(10, 600));
        // qwen-vl-utils keeps at least 28: 28 x round(600 / 28) * 28 = 28 x 588, within bounds.
        assertArrayEquals(new int[] {28, 588}, SmartResize.qwenVlUtils(10, 600, 28, MIN, MAX));
        // both agree once the side rounds to one factor: 15 / 28 = 0.54 -> 1 (but 14 / 28 = 0.5 -> 0, half to even)
        assertArrayEquals(new int[] {28, 588}, resize(15, 600));
        assertArrayEquals(new int[] {28, 588}, SmartResize.qwenVlUtils(15, 600, 28, MIN, MAX));
    }

    @Test
    void refusesAspectRatiosAbove200() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resize(10, 2010));
        assertTrue(e.getMessage().contains("aspect ratio"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> resize(2010, 10));
        assertDoesNotThrow(() -> resize(10, 2000));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> resize(0, 10));
        assertThrows(IllegalArgumentException.class, () -> SmartResize.smartResize(10, 10, 28, 1000, 10));
    }
}
