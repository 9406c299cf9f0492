package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Image and video processors beyond the fixture cases: options, sampling, bad input. */
class ProcessorTest {
    private final PreprocessorConfig cfg = PreprocessorConfig.QWEN2_VL;

    private static RgbImage flat(int w, int h, int value) {
        byte[] rgb = new byte[w * h * 3];
        java.util.Arrays.fill(rgb, (byte) value);
        return new RgbImage(w, h, rgb);
    }

    @Test
    void resizedHeightAndWidthGoThroughSmartResize() {
        ImageProcessor p = new ImageProcessor(cfg);
        // 100x150 (h x w) rounds to 112x140 (100/28 = 3.57 -> 4, 150/28 = 5.36 -> 5).
        VisionOptions o = new VisionOptions(null, null, 100, 150, null, null);
        ProcessedImage out = p.process(flat(640, 480, 9), o);
        assertEquals(112, out.resized().height());
        assertEquals(140, out.resized().width());
        assertArrayEquals(new long[] {1, 8, 10}, out.pixelValues().grid().thw());
        assertEquals(20, out.pixelValues().tokenCount(2));
    }

    @Test
    void perImagePixelBoundsMatchTheProcessorWithThoseBounds() {
        RgbImage img = new ImageDecoder().decode(Fixtures.image("gradient_640x480.png"));
        ProcessedImage viaOptions = new ImageProcessor(cfg).process(img, VisionOptions.pixels(50176L, 100352L));
        ProcessedImage viaConfig = new ImageProcessor(cfg.withPixels(50176, 100352)).process(img);
        assertEquals(viaConfig.resized(), viaOptions.resized());
        assertArrayEquals(new long[] {1, 18, 26}, viaOptions.pixelValues().grid().thw());
    }

    @Test
    void aStillImageIsTwoIdenticalFrames() {
        PixelValues pv = Patchify.image(flat(56, 28, 255), cfg);
        // value 255 in channel 0: (1 - mean) / std for every R entry of both temporal copies.
        float expected = (1f - cfg.mean()[0]) / cfg.std()[0];
        for (int col = 0; col < 2 * 14 * 14; col++) assertEquals(expected, pv.data()[col], 0f);
        assertEquals(8, pv.rows());
    }

    @Test
    void aspectRatioAbove200IsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageProcessor(cfg).process(flat(6000, 29, 0)));
        assertTrue(e.getMessage().contains("aspect ratio"), e.getMessage());
    }

    @Test
    void emptyVideosAreRefused() {
        VideoProcessor vp = new VideoProcessor(cfg);
        assertThrows(IllegalArgumentException.class, () -> vp.processFrameList(List.of(), VisionOptions.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> vp.processVideo(List.of(), 30, VisionOptions.DEFAULT));
        assertThrows(ImageDecodeException.class, () -> VideoSources.load(List.of()));
    }

    @Test
    void emptyFolderIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> VideoSources.load(List.of(dir.toString())));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void videoFilesNeedTheVideoModule(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path clip = java.nio.file.Files.write(dir.resolve("clip.mp4"), new byte[] {0, 0, 0, 24});
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> VideoSources.load(List.of(clip.toString())));
        assertTrue(e.getMessage().contains("clip.mp4") && e.getMessage().contains("qwen2vl4j-video"), e.getMessage());
        ImageDecodeException missing = assertThrows(ImageDecodeException.class, () -> VideoSources.load(List.of("nope.mp4")));
        assertTrue(missing.getMessage().contains("nope.mp4"), missing.getMessage());
    }

    @Test
    void framesOfDifferentSizesAreRefused() {
        VideoProcessor vp = new VideoProcessor(cfg);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vp.processFrameList(List.of(flat(56, 56, 0), flat(112, 56, 0)), VisionOptions.DEFAULT));
        assertTrue(e.getMessage().contains("frame 1"), e.getMessage());
    }

    @Test
    void animatedGifIsSampledAtTwoFramesPerSecondWithTheVideoBudget() throws IOException {
        int[] colours = new int[20];
        for (int i = 0; i < colours.length; i++) colours[i] = i * 12 << 16;
        // 20 frames of 10 cs = 2 s at 10 fps -> 4 frames at 2 fps.
        byte[] gif = ImageDecoderTest.animatedGif(colours, 10);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("anim", ".gif");
        try {
            java.nio.file.Files.write(file, gif);
            VideoSources.VideoInput in = VideoSources.load(List.of(file.toString()));
            assertEquals(20, in.frames().size());
            assertEquals(10.0, in.fps(), 1e-9);
            PixelValues pv = in.process(new VideoProcessor(cfg), VisionOptions.DEFAULT);
            // 8x6 frames grow to the video minimum of 100352 pixels: beta = sqrt(100352 / 48) = 45.72;
            // ceil(6 * beta / 28) = 10 -> 280, ceil(8 * beta / 28) = 14 -> 392.
            assertArrayEquals(new long[] {2, 20, 28}, pv.grid().thw());
            // frames 0, 6, 13, 19 (round of linspace(0, 19, 4) = 0, 6.33, 12.67, 19): red values 0, 72, 156, 228.
            int[] expectedRed = {0, 72, 156, 228};
            int patchesPerFrame = 20 * 28;
            for (int t = 0; t < 2; t++) {
                for (int tt = 0; tt < 2; tt++) {
                    float expected = ((float) (expectedRed[t * 2 + tt] * (1.0 / 255)) - cfg.mean()[0]) / cfg.std()[0];
                    float actual = pv.data()[t * patchesPerFrame * 1176 + tt * 196];
                    assertEquals(expected, actual, 1e-6f, "frame " + (t * 2 + tt));
                }
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void oddFrameListsArePaddedWithTheLastFrame() {
        List<RgbImage> frames = new ArrayList<>();
        for (int i = 0; i < 3; i++) frames.add(flat(56, 56, i * 100));
        PixelValues pv = new VideoProcessor(cfg).processFrameList(frames, VisionOptions.DEFAULT);
        assertArrayEquals(new long[] {2, 4, 4}, pv.grid().thw());
        int perT = 16 * 1176;
        // second temporal group: frame 2 then its copy
        assertEquals(pv.data()[perT], pv.data()[perT + 196], 0f);
    }
}
