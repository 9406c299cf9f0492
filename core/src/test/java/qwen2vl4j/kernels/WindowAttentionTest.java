package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link WindowAttention} against its plain twin, on odd geometries and windows cut into several query blocks. */
class WindowAttentionTest {
    @Test
    void oddWindowsAndHeadsMatchTheReference() {
        check(3, 10, new int[] {0, 1, 8, 305, 312});
    }

    @Test
    void aWindowOfSeveralQueryBlocksMatchesTheReference() {
        assertTrue(WindowAttention.blockRows(784) < 784, "the window spans several blocks");
        check(2, 7, new int[] {0, 784, 797});
    }

    @Test
    void aWindowTooLongForTheCacheTargetTakesLargerBlocksAndStillMatches() {
        int rows = WindowAttention.blockRows(3360);
        assertTrue(rows > WindowAttention.blockRows(2048) && 3360 % rows != 0, "long-window blocks, a partial last one: " + rows);
        check(1, 5, new int[] {0, 3360});
    }

    /**
     * Head widths whose value lanes fill whole tiles, leave half a tile (its own kernel) or more (a padded tile) at
     * some vector width: 80 (the vision heads), 40, 24; windows of a key count no tile divides.
     */
    @Test
    void headWidthsOfFullHalfAndPaddedValueTilesMatchTheReference() {
        for (int headDim : new int[] {80, 40, 24}) check(2, headDim, new int[] {0, 37, 230});
    }

    @Test
    void theWorkspaceFollowsNewWindowsAndBuffersTooSmallAreRefused() {
        WindowAttention attention = new WindowAttention(2, 3);
        WindowAttention.Workspace ws = new WindowAttention.Workspace();
        Random rnd = new Random(1);
        for (int[] starts : new int[][] {{0, 4, 9}, {0, 9}, {0, 2, 3, 9}}) {
            float[] qkv = gaussian(rnd, 9 * 18), actual = new float[9 * 6], expected = new float[9 * 6];
            attention.attend(qkv, starts, ws, actual);
            WindowAttentionReference.attend(qkv, starts, 2, 3, expected);
            assertClose(expected, actual, java.util.Arrays.toString(starts));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attention.attend(new float[10], new int[] {0, 9}, ws, new float[54]));
        assertTrue(e.getMessage().contains("qkv holds 10"), e.getMessage());
    }

    private static void check(int heads, int headDim, int[] starts) {
        int n = starts[starts.length - 1], dim = heads * headDim;
        float[] qkv = gaussian(new Random(n * 31L + heads), n * 3 * dim);
        float[] actual = new float[n * dim], expected = new float[n * dim];
        new WindowAttention(heads, headDim).attend(qkv, starts, new WindowAttention.Workspace(), actual);
        WindowAttentionReference.attend(qkv, starts, heads, headDim, expected);
        assertClose(expected, actual, heads + " heads of " + headDim);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-5 * (1 + Math.abs(expected[i])), what + " element " + i);
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
