package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The video file SPI without a real decoder: service lookup, sampling and processing with a synthetic decoder. */
class VideoFilesTest {
    @TempDir
    Path dir;

    /** A synthetic video whose frame {@code i} has every sample derived from {@code i} and its position. */
    static final class FakeDecoder implements VideoFileDecoder {
        final VideoInfo info;
        final List<int[]> requests = new ArrayList<>();
        final List<Long> pixelLimits = new ArrayList<>();

        FakeDecoder(VideoInfo info) {
            this.info = info;
        }

        @Override
        public boolean canDecode(Path file) {
            return VideoFiles.isVideoFile(file);
        }

        @Override
        public VideoInfo probe(Path file) {
            return info;
        }

        @Override
        public List<RgbImage> decodeFrames(Path file, int[] frameIndices, long maxPixelsPerFrame) {
            requests.add(frameIndices.clone());
            pixelLimits.add(maxPixelsPerFrame);
            List<RgbImage> out = new ArrayList<>();
            for (int i : frameIndices) out.add(frame(i));
            return out;
        }

        RgbImage frame(int index) {
            byte[] rgb = new byte[info.width() * info.height() * 3];
            for (int p = 0; p < rgb.length; p++) rgb[p] = (byte) (index * 37 + p * 11 + (p / (info.width() * 3)) * 5);
            return new RgbImage(info.width(), info.height(), rgb);
        }

        List<RgbImage> allFrames() {
            List<RgbImage> out = new ArrayList<>();
            for (int i = 0; i < info.frameCount(); i++) out.add(frame(i));
            return out;
        }
    }

    private Path touch(String name) throws IOException {
        return Files.write(dir.resolve(name), new byte[] {1, 2, 3});
    }

    @Test
    void withoutTheVideoModuleTheLookupSaysWhichModuleIsMissing() throws IOException {
        assertTrue(VideoFiles.installedDecoders().isEmpty(), "core must not ship a video decoder");
        Path clip = touch("clip.mp4");
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> VideoFiles.decoderFor(clip));
        assertTrue(e.getMessage().contains("video files need the qwen2vl4j-video module"), e.getMessage());
        assertTrue(e.getMessage().contains(clip.toString()), e.getMessage());
        ImageDecodeException viaLoad = assertThrows(ImageDecodeException.class,
                () -> VideoFiles.load(clip.toString(), VisionOptions.DEFAULT));
        assertTrue(viaLoad.getMessage().contains("video files need the qwen2vl4j-video module"), viaLoad.getMessage());
    }

    @Test
    void aDecoderIsChosenByWhatItAccepts() throws IOException {
        FakeDecoder fake = new FakeDecoder(new VideoInfo(10, 5, 8, 8, 2));
        assertSame(fake, VideoFiles.decoderFor(dir.resolve("a.WebM"), List.of(fake)));
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> VideoFiles.decoderFor(dir.resolve("a.txt"), List.of(fake)));
        assertTrue(e.getMessage().contains("a.txt") && e.getMessage().contains("no installed video decoder"), e.getMessage());
    }

    @Test
    void videoExtensionsAreRecognisedInAnyCase() {
        for (String name : List.of("a.mp4", "b.MOV", "c.webm", "d.Mkv", "e.avi")) assertTrue(VideoFiles.isVideoFile(Path.of(name)), name);
        for (String name : List.of("a.png", "mp4", "b.gif", "c.mp4.txt")) assertFalse(VideoFiles.isVideoFile(Path.of(name)), name);
    }

    @Test
    void loadDecodesTheFramesQwenVlUtilsSamples() throws IOException {
        // 30 frames at 10 fps = 3 s; at the default 2 fps that is 6 frames, spread over 0..29
        FakeDecoder fake = new FakeDecoder(new VideoInfo(30, 10, 56, 84, 3));
        Path clip = touch("clip.mov");
        SampledVideo video = VideoFiles.load(clip, VisionOptions.DEFAULT, fake);
        int n = 6;
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) expected[i] = (int) Math.round(i * 29.0 / (n - 1));
        assertArrayEquals(expected, video.frameIndices());
        assertEquals(1, fake.requests.size(), "one decoding pass");
        assertArrayEquals(expected, fake.requests.get(0));
        for (int i = 0; i < n; i++) assertEquals(fake.frame(expected[i]), video.frames().get(i), "frame " + i);
        assertEquals(n / 30.0 * 10, video.sampledFps(), 1e-12);
    }

    @Test
    void nframesOptionOverridesTheFrameRate() throws IOException {
        FakeDecoder fake = new FakeDecoder(new VideoInfo(40, 25, 28, 28, 1.6));
        SampledVideo video = VideoFiles.load(touch("x.mp4"), new VisionOptions(null, null, null, null, null, 8), fake);
        assertEquals(8, video.frames().size());
        assertEquals(0, video.frameIndices()[0]);
        assertEquals(39, video.frameIndices()[7]);
    }

    @Test
    void processingTheSampleEqualsProcessingTheWholeVideo() throws IOException {
        FakeDecoder fake = new FakeDecoder(new VideoInfo(30, 10, 56, 84, 3));
        VideoProcessor processor = new VideoProcessor(PreprocessorConfig.QWEN2_VL);
        for (VisionOptions options : List.of(VisionOptions.DEFAULT, VisionOptions.pixels(3136L, 12544L), new VisionOptions(null, null, 28, 56, null, null),
                new VisionOptions(null, null, null, null, 5.0, null))) {
            SampledVideo video = VideoFiles.load(touch("v.mp4"), options, fake);
            PixelValues fromSample = video.process(processor, options);
            PixelValues fromAll = processor.processVideo(fake.allFrames(), 10, options);
            assertArrayEquals(fromAll.grid().thw(), fromSample.grid().thw(), options.toString());
            assertArrayEquals(fromAll.data(), fromSample.data(), options.toString());
        }
    }

    @Test
    void missingEmptyAndTooShortVideosAreRefusedNamingTheFile() throws IOException {
        FakeDecoder empty = new FakeDecoder(new VideoInfo(0, 10, 8, 8, 0));
        Path missing = dir.resolve("missing.mp4");
        ImageDecodeException e1 = assertThrows(ImageDecodeException.class, () -> VideoFiles.load(missing, null, empty));
        assertTrue(e1.getMessage().contains(missing + " does not exist"), e1.getMessage());
        Path clip = touch("empty.mp4");
        ImageDecodeException e2 = assertThrows(ImageDecodeException.class, () -> VideoFiles.load(clip, null, empty));
        assertTrue(e2.getMessage().contains(clip + " has no video frames"), e2.getMessage());
        FakeDecoder oneFrame = new FakeDecoder(new VideoInfo(1, 10, 8, 8, 0.1));
        ImageDecodeException e3 = assertThrows(ImageDecodeException.class, () -> VideoFiles.load(clip, null, oneFrame));
        assertTrue(e3.getMessage().contains(clip + ": a video needs at least 2 frames, this one has 1 (send a single frame as an image)"),
                e3.getMessage());
        FakeDecoder twenty = new FakeDecoder(new VideoInfo(20, 10, 8, 8, 2));
        ImageDecodeException e4 = assertThrows(ImageDecodeException.class,
                () -> VideoFiles.load(clip, new VisionOptions(null, null, null, null, null, 24), twenty));
        assertTrue(e4.getMessage().contains("nframes should be in the interval [2, 20], found 24 (the video has 20 frames)"), e4.getMessage());
        assertTrue(empty.requests.isEmpty() && oneFrame.requests.isEmpty(), "nothing decoded");
    }

    @Test
    void samplesThatWouldFillTheHeapAreRefusedBeforeDecoding() {
        VideoInfo uhd = new VideoInfo(7200, 30, 3840, 2160, 240);
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> VideoFiles.requireHeap(Path.of("big.mp4"), uhd, 480, 4L << 30));
        assertTrue(e.getMessage().contains("big.mp4") && e.getMessage().contains("-Xmx"), e.getMessage());
        VideoFiles.requireHeap(Path.of("small.mp4"), new VideoInfo(20, 10, 64, 48, 2), 4, 4L << 30);
    }

    /** A stream whose frames grow past its header's size stays within the heap budget the header passed. */
    @Test
    void eachFrameGetsItsShareOfTheHeapBudget() throws IOException {
        assertEquals(22_369_621L, VideoFiles.framePixelLimit(8, 1L << 30)); // (1 GiB / 2) / (3 bytes × 8 frames)
        assertEquals(ImageDecoder.DEFAULT_MAX_PIXELS, VideoFiles.framePixelLimit(2, 1L << 40));
        // the header's size passes requireHeap exactly when it is within the limit
        VideoFiles.requireHeap(Path.of("fits.mp4"), new VideoInfo(8, 10, 22_369_621, 1, 0.8), 8, 1L << 30);
        assertThrows(ImageDecodeException.class,
                () -> VideoFiles.requireHeap(Path.of("over.mp4"), new VideoInfo(8, 10, 22_369_622, 1, 0.8), 8, 1L << 30));

        Path clip = touch("clip.mp4");
        FakeDecoder fake = new FakeDecoder(new VideoInfo(20, 10, 64, 48, 2));
        VideoFiles.load(clip, null, fake);
        int n = fake.requests.get(0).length;
        assertEquals(List.of(VideoFiles.framePixelLimit(n, Runtime.getRuntime().maxMemory())), fake.pixelLimits);
    }

    @Test
    void urlsAndDataUrisAreRefused() {
        assertThrows(ImageDecodeException.class, () -> VideoFiles.load("https://example.com/a.mp4", null));
        assertThrows(ImageDecodeException.class, () -> VideoFiles.load("data:video/mp4;base64,AAAA", null));
    }

    @Test
    void containersAreRecognisedFromTheirFirstBytes() {
        byte[] mp4 = {0, 0, 0, 32, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'};
        byte[] webm = {0x1A, 0x45, (byte) 0xDF, (byte) 0xA3, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] avi = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'A', 'V', 'I', ' '};
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13};
        org.junit.jupiter.api.Assertions.assertEquals("mp4", VideoFiles.sniffContainer(mp4));
        org.junit.jupiter.api.Assertions.assertEquals("webm", VideoFiles.sniffContainer(webm));
        org.junit.jupiter.api.Assertions.assertEquals("avi", VideoFiles.sniffContainer(avi));
        org.junit.jupiter.api.Assertions.assertNull(VideoFiles.sniffContainer(png));
        org.junit.jupiter.api.Assertions.assertNull(VideoFiles.sniffContainer(new byte[3]));
        ImageDecodeException e = org.junit.jupiter.api.Assertions.assertThrows(ImageDecodeException.class,
                () -> VideoFiles.load(png, "x.png", VisionOptions.DEFAULT));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("x.png"), e.getMessage());
    }
}
