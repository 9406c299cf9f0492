package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.preprocess.Grid;

/** {@link RopeIndex} on hand-built sequences (the fixture prompts are checked in {@link TextModelGoldenTest}). */
class RopeIndexTest {
    static final int IMG = 151655, VID = 151656, START = 151652, END = 151653;
    final RopeIndex index = new RopeIndex(IMG, VID, START, 2);

    private static int[] seq(int prefix, int startToken, int pad, int pads, int suffix) {
        int[] ids = new int[prefix + 1 + pads + 1 + suffix];
        Arrays.fill(ids, 7);
        ids[prefix] = startToken;
        Arrays.fill(ids, prefix + 1, prefix + 1 + pads, pad);
        ids[prefix + 1 + pads] = END;
        return ids;
    }

    /** get_rope_index on a 224×224 image (grid 1×16×16, 8×8 tokens) after a 14-token prefix. */
    @Test
    void workedExampleFromSpec() {
        int[] ids = seq(14, START, IMG, 64, 3);
        RopePositions p = index.compute(ids, List.of(new Grid(1, 16, 16)), null);
        for (int i = 0; i <= 14; i++) for (int a = 0; a < 3; a++) assertEquals(i, p.positions()[a][i]);
        for (int r = 0; r < 8; r++) {
            for (int c = 0; c < 8; c++) {
                int i = 15 + r * 8 + c;
                assertEquals(15, p.positions()[0][i]);
                assertEquals(15 + r, p.positions()[1][i]);
                assertEquals(15 + c, p.positions()[2][i]);
            }
        }
        int end = 15 + 64;
        assertArrayEquals(new int[] {23, 24, 25, 26}, Arrays.copyOfRange(p.positions()[1], end, end + 4));
        assertEquals(-56, ropeDelta(p));
    }

    @Test
    void videoTemporalAxisAdvancesPerFrameGroup() {
        int[] ids = seq(2, START, VID, 3 * 2 * 4, 0); // grid (3, 4, 8) → 3 × 2 × 4 tokens
        RopePositions p = index.compute(ids, null, List.of(new Grid(3, 4, 8)));
        int first = 3;
        assertEquals(3, p.positions()[0][first]);
        assertEquals(3 + 2, p.positions()[0][first + 2 * 4 * 2]);
        assertEquals(3 + 1, p.positions()[1][first + 4]);
        assertEquals(3 + 3, p.positions()[2][first + 3]);
        int end = first + 24;
        assertEquals(3 + 4, p.positions()[0][end]); // max(gt, gh, gw) = 4 positions used
        assertEquals(3 + 4 + 1 - ids.length, ropeDelta(p));
    }

    @Test
    void imagesAndVideosInterleaveInPromptOrder() {
        int[] a = seq(1, START, VID, 2, 1);     // video grid (1, 2, 4): 1 × 1 × 2 tokens
        int[] b = seq(0, START, IMG, 4, 2);     // image grid (1, 4, 4): 2 × 2 tokens
        int[] ids = new int[a.length + b.length];
        System.arraycopy(a, 0, ids, 0, a.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        RopePositions p = index.compute(ids, List.of(new Grid(1, 4, 4)), List.of(new Grid(1, 2, 4)));
        // video block at index 2, positions t=2, h=2, w=2..3; text resumes at 4
        assertEquals(3, p.positions()[2][3]);
        assertEquals(4, p.positions()[0][4]);
        int imageStart = a.length + 1;
        assertEquals(4 + 3, p.positions()[0][imageStart]);
        assertEquals(4 + 3 + 1, p.positions()[1][imageStart + 3]);
        assertEquals(4 + 3 + 2, p.positions()[0][imageStart + 4]); // vision_end after the 2 × 2 image
    }

    @Test
    void textOnlyIsArangeWithZeroDelta() {
        RopePositions p = index.compute(new int[] {5, 6, 7, 8}, null, List.of());
        for (int a = 0; a < 3; a++) assertArrayEquals(new int[] {0, 1, 2, 3}, p.positions()[a]);
        assertEquals(0, ropeDelta(p));
        assertArrayEquals(p.positions()[1], RopeIndex.textOnly(4).positions()[1]);
    }

    @Test
    void mismatchedGridsAreRejected() {
        int[] ids = seq(2, START, IMG, 4, 1);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> index.compute(ids, null, null));
        assertTrue(none.getMessage().contains("1 images") && none.getMessage().contains("0 image grids"), none.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> index.compute(ids, List.of(new Grid(1, 4, 6)), null));
        assertTrue(size.getMessage().contains("6 pad tokens"), size.getMessage());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> index.compute(ids, List.of(new Grid(1, 3, 4)), null));
        assertTrue(odd.getMessage().contains("spatial merge size"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> index.compute(new int[0], null, null));
    }

    /** A prompt that continues a session starts at the session's next position: every position moves by it. */
    @Test
    void continuationStartsAtTheGivenPosition() {
        int[] ids = seq(3, START, IMG, 4, 2);
        RopePositions fromZero = index.compute(ids, List.of(new Grid(1, 4, 4)), null);
        RopePositions later = index.compute(ids, List.of(new Grid(1, 4, 4)), null, 57);
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < ids.length; i++) assertEquals(fromZero.positions()[a][i] + 57, later.positions()[a][i]);
        }
        assertArrayEquals(new int[] {57, 58}, RopeIndex.textOnly(57, 2).positions()[2]);
    }

    /** Hugging Face's {@code rope_deltas}: {@code max(positions) + 1 − L}. */
    static long ropeDelta(RopePositions p) {
        int max = Integer.MIN_VALUE;
        for (int[] axis : p.positions()) for (int v : axis) max = Math.max(max, v);
        return (long) max + 1 - p.length();
    }
}
