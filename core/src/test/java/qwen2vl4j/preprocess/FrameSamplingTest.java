package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FrameSamplingTest {
    @Test
    void tenSecondsAtThirtyFpsGiveTwentyFramesOf560x1008() {
        // spec 3.1 example: 300 frames at 30 fps, 1280x720 -> 20 frames resized to 560x1008.
        int n = FrameSampling.smartNframes(300, 30, VisionOptions.DEFAULT);
        assertEquals(20, n);
        int[] size = SmartResize.qwenVlUtils(720, 1280, 28, FrameSampling.frameMinPixels(VisionOptions.DEFAULT),
                FrameSampling.frameMaxPixels(n, VisionOptions.DEFAULT));
        assertArrayEquals(new int[] {560, 1008}, size);
    }

    @Test
    void frameCountRules() {
        // 100 frames at 30 fps: 6.67 frames at 2 fps, rounded to an even 6.
        assertEquals(6, FrameSampling.smartNframes(100, 30, VisionOptions.DEFAULT));
        // short clip: at least 4 frames.
        assertEquals(4, FrameSampling.smartNframes(30, 30, VisionOptions.DEFAULT));
        // but never more than the video has (rounded down to even).
        assertEquals(2, FrameSampling.smartNframes(3, 30, VisionOptions.DEFAULT));
        // fps option: 10 s at 30 fps sampled at 1 fps.
        assertEquals(10, FrameSampling.smartNframes(300, 30, new VisionOptions(null, null, null, null, 1.0, null)));
        // nframes option, rounded half to even on nframes / 2: 7 -> 8, 5 -> 4.
        assertEquals(8, FrameSampling.smartNframes(300, 30, new VisionOptions(null, null, null, null, null, 7)));
        assertEquals(4, FrameSampling.smartNframes(300, 30, new VisionOptions(null, null, null, null, null, 5)));
        // at most 768 frames.
        assertEquals(768, FrameSampling.smartNframes(100000, 30, new VisionOptions(null, null, null, null, 30.0, null)));
    }

    @Test
    void refusesVideosTooShort() {
        assertThrows(IllegalArgumentException.class, () -> FrameSampling.smartNframes(1, 30, VisionOptions.DEFAULT));
        assertThrows(IllegalArgumentException.class,
                () -> FrameSampling.smartNframes(10, 30, new VisionOptions(null, null, null, null, null, 40)));
    }

    @Test
    void indicesAreRoundedLinspace() {
        assertArrayEquals(new int[] {0, 4}, FrameSampling.frameIndices(5, 2));
        // linspace(0, 5, 3) = 0, 2.5, 5: 2.5 rounds to even 2.
        assertArrayEquals(new int[] {0, 2, 5}, FrameSampling.frameIndices(6, 3));
        // linspace(0, 3, 3) = 0, 1.5, 3: 1.5 rounds to 2.
        assertArrayEquals(new int[] {0, 2, 3}, FrameSampling.frameIndices(4, 3));
        // linspace(0, 9, 4) = 0, 3, 6, 9.
        assertArrayEquals(new int[] {0, 3, 6, 9}, FrameSampling.frameIndices(10, 4));
        int[] twenty = FrameSampling.frameIndices(300, 20);
        assertEquals(0, twenty[0]);
        assertEquals(299, twenty[19]);
        // 299 / 19 * 1 = 15.74 -> 16; 299 / 19 * 10 = 157.37 -> 157.
        assertEquals(16, twenty[1]);
        assertEquals(157, twenty[10]);
    }

    @Test
    void budgetPerFrameShrinksWithManyFrames() {
        // 768 frames: 19267584 / 768 * 2 = 50176 < 1.05 * 100352, so the floor int(100352 * 1.05) applies.
        assertEquals(105369.0, FrameSampling.frameMaxPixels(768, VisionOptions.DEFAULT));
        assertEquals(602112.0, FrameSampling.frameMaxPixels(8, VisionOptions.DEFAULT));
        assertEquals(1000.0, FrameSampling.frameMaxPixels(8, VisionOptions.pixels(null, 1000L)));
    }
}
