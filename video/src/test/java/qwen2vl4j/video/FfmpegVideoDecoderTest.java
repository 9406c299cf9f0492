package qwen2vl4j.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.preprocess.FrameSampling;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.SampledVideo;
import qwen2vl4j.preprocess.VideoFiles;
import qwen2vl4j.preprocess.VideoInfo;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VisionOptions;

/** Videos written here with FFmpeg (H.264 in MP4, VP8 in WebM, MPEG-4 with B-frames in MOV), read back. */
class FfmpegVideoDecoderTest {
    static final int FRAMES = 20;
    static final double FPS = 10;
    /** Largest difference of a decoded background channel mean from the source colour (lossy codecs, YUV 4:2:0). */
    static final double COLOUR_TOLERANCE = 12;

    @TempDir
    static Path dir;

    static final FfmpegVideoDecoder decoder = new FfmpegVideoDecoder();

    static List<TestVideos.Format> formats() {
        return List.of(TestVideos.MP4_H264, TestVideos.WEBM_VP8, TestVideos.MOV_MPEG4_BFRAMES);
    }

    static Stream<TestVideos.Format> formatStream() {
        return formats().stream();
    }

    @BeforeAll
    static void writeVideos() throws Exception {
        for (TestVideos.Format f : formats()) TestVideos.write(dir, "clip", f, FRAMES, FPS);
    }

    static Path clip(TestVideos.Format f) {
        return dir.resolve("clip." + f.extension());
    }

    /** Asserts that {@code image} is source frame {@code index}: its colour, and the black square top left. */
    static void assertIsFrame(int index, RgbImage image, String what) {
        assertEquals(TestVideos.WIDTH, image.width(), what);
        assertEquals(TestVideos.HEIGHT, image.height(), what);
        assertEquals(index, TestVideos.nearestFrame(image, FRAMES), what + ": nearest source colour");
        double[] bg = TestVideos.background(image);
        int[] want = TestVideos.colour(index);
        for (int ch = 0; ch < 3; ch++) {
            assertEquals(want[ch], bg[ch], COLOUR_TOLERANCE, what + ": channel " + ch + " of the background");
            double square = TestVideos.mean(image, ch, 2, 2, TestVideos.SQUARE - 2, TestVideos.SQUARE - 2);
            assertEquals(0, square, COLOUR_TOLERANCE, what + ": channel " + ch + " of the square (top left)");
        }
    }

    @ParameterizedTest
    @MethodSource("formatStream")
    void probeReadsFrameCountRateSizeAndDuration(TestVideos.Format f) {
        VideoInfo info = decoder.probe(clip(f));
        assertEquals(FRAMES, info.frameCount(), f.toString());
        assertEquals(FPS, info.fps(), 1e-6, f.toString());
        assertEquals(TestVideos.WIDTH, info.width());
        assertEquals(TestVideos.HEIGHT, info.height());
        assertEquals(FRAMES / FPS, info.durationSeconds(), 0.15, f.toString());
    }

    @ParameterizedTest
    @MethodSource("formatStream")
    void everyFrameDecodesToItsSourceFrame(TestVideos.Format f) {
        int[] all = IntStream.range(0, FRAMES).toArray();
        List<RgbImage> frames = decoder.decodeFrames(clip(f), all, Long.MAX_VALUE);
        assertEquals(FRAMES, frames.size());
        for (int i = 0; i < FRAMES; i++) assertIsFrame(i, frames.get(i), f.extension() + " frame " + i);
    }

    @ParameterizedTest
    @MethodSource("formatStream")
    void loadFindsTheFfmpegServiceAndDecodesTheFramesQwenVlUtilsSamples(TestVideos.Format f) {
        Path file = clip(f);
        assertInstanceOf(FfmpegVideoDecoder.class, VideoFiles.decoderFor(file));
        SampledVideo video = VideoFiles.load(file.toString(), VisionOptions.DEFAULT);
        // 20 frames at 10 fps are 2 s: 2 s at the default 2 fps = 4 frames, spread evenly over 0..19
        int n = (int) Math.round(FRAMES / FPS * FrameSampling.FPS);
        int[] expected = IntStream.range(0, n).map(i -> (int) Math.round(i * (FRAMES - 1) / (double) (n - 1))).toArray();
        assertArrayEquals(expected, video.frameIndices(), f.toString());
        for (int i = 0; i < n; i++) assertIsFrame(expected[i], video.frames().get(i), f.extension() + " sample " + i);
        PixelValues pixels = video.process(new VideoProcessor(PreprocessorConfig.QWEN2_VL), VisionOptions.DEFAULT);
        assertEquals(n / 2, pixels.grid().t(), "two frames per temporal patch");
    }

    @Test
    void nframesTwentyDecodesEveryFrameInOrder() {
        SampledVideo video = VideoFiles.load(clip(TestVideos.MP4_H264), new VisionOptions(null, null, null, null, null, FRAMES));
        assertArrayEquals(IntStream.range(0, FRAMES).toArray(), video.frameIndices());
        for (int i = 0; i < FRAMES; i++) assertIsFrame(i, video.frames().get(i), "frame " + i);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("formats")
    void aVideoHeldInMemoryDecodesLikeItsFile(TestVideos.Format format) throws Exception {
        Path file = clip(format);
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        org.junit.jupiter.api.Assertions.assertNotNull(VideoFiles.sniffContainer(bytes), format.extension());
        SampledVideo fromBytes = VideoFiles.load(bytes, "upload." + format.extension(), VisionOptions.DEFAULT);
        SampledVideo fromFile = VideoFiles.load(file, VisionOptions.DEFAULT);
        assertArrayEquals(fromFile.frameIndices(), fromBytes.frameIndices());
        org.junit.jupiter.api.Assertions.assertEquals(fromFile.frames(), fromBytes.frames());
    }

    @Test
    void indicesMayComeInAnyOrderWithRepeats() {
        int[] asked = {7, 2, 7, 19, 0};
        List<RgbImage> frames = decoder.decodeFrames(clip(TestVideos.WEBM_VP8), asked, Long.MAX_VALUE);
        for (int k = 0; k < asked.length; k++) assertIsFrame(asked[k], frames.get(k), "asked " + Arrays.toString(asked) + " #" + k);
    }

    @Test
    void indicesPastTheEndGetTheLastFrame() {
        List<RgbImage> frames = decoder.decodeFrames(clip(TestVideos.MOV_MPEG4_BFRAMES), new int[] {3, FRAMES + 5}, Long.MAX_VALUE);
        assertIsFrame(3, frames.get(0), "frame 3");
        assertIsFrame(FRAMES - 1, frames.get(1), "past the end");
    }

    @Test
    void frameRateAndCountFollowTheFile() throws Exception {
        Path file = TestVideos.write(dir, "long", TestVideos.WEBM_VP8, 45, 25);
        VideoInfo info = decoder.probe(file);
        assertEquals(45, info.frameCount());
        assertEquals(25, info.fps(), 1e-6);
        // 45 frames at 25 fps = 1.8 s -> 3.6 frames at 2 fps -> at least 4
        SampledVideo video = VideoFiles.load(file, VisionOptions.DEFAULT);
        assertArrayEquals(FrameSampling.frameIndices(45, 4), video.frameIndices());
        assertArrayEquals(new int[] {0, 15, 29, 44}, FrameSampling.frameIndices(45, 4), "linspace(0, 44, 4).round()");
    }

    static ImageDecodeException assertRefused(Path file, String expected, Executable action) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, action);
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "says '" + expected + "': " + e.getMessage());
        return e;
    }

    @Test
    void missingFileIsRefused() {
        Path missing = dir.resolve("missing.mp4");
        assertRefused(missing, "does not exist", () -> decoder.probe(missing));
        assertRefused(missing, "does not exist", () -> decoder.decodeFrames(missing, new int[] {0}, Long.MAX_VALUE));
        assertRefused(missing, "does not exist", () -> VideoFiles.load(missing, VisionOptions.DEFAULT));
    }

    @Test
    void randomBytesAreRefused() throws Exception {
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        for (String name : List.of("junk.mp4", "junk.webm", "junk.mov")) {
            Path file = Files.write(dir.resolve(name), junk);
            assertRefused(file, "could not be read by FFmpeg", () -> decoder.probe(file));
            assertRefused(file, "could not be read by FFmpeg", () -> decoder.decodeFrames(file, new int[] {0}, Long.MAX_VALUE));
            assertRefused(file, "could not be read by FFmpeg", () -> VideoFiles.load(file, VisionOptions.DEFAULT));
        }
    }

    @Test
    void aVideoWithoutFramesIsRefused() throws Exception {
        Path file = TestVideos.write(dir, "empty", TestVideos.AVI_MPEG4, 0, FPS);
        assertEquals(0, decoder.probe(file).frameCount());
        assertRefused(file, "has no video frames", () -> VideoFiles.load(file, VisionOptions.DEFAULT));
        assertRefused(file, "has no decodable video frames", () -> decoder.decodeFrames(file, new int[] {0}, Long.MAX_VALUE));
    }

    @Test
    void anMp4WithoutFramesHasNoVideoStream() throws Exception {
        Path file = TestVideos.write(dir, "empty", TestVideos.MP4_H264, 0, FPS);
        assertRefused(file, "has no video stream", () -> decoder.probe(file));
        assertRefused(file, "has no video stream", () -> VideoFiles.load(file, VisionOptions.DEFAULT));
    }

    @Test
    void aTruncatedStreamGivesTheFramesItHas() throws Exception {
        Path whole = clip(TestVideos.WEBM_VP8);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.webm"), Arrays.copyOf(bytes, bytes.length * 6 / 10));
        VideoInfo info = decoder.probe(cut);
        assertTrue(info.frameCount() > 0 && info.frameCount() < FRAMES, "frames of the cut file: " + info.frameCount());
        List<RgbImage> frames = decoder.decodeFrames(cut, new int[] {0, FRAMES - 1}, Long.MAX_VALUE);
        assertIsFrame(0, frames.get(0), "first frame of the cut file");
        int last = TestVideos.nearestFrame(frames.get(1), FRAMES);
        assertTrue(last > 0 && last < FRAMES - 1, "the cut file ends before the last frame, found frame " + last);
    }

    @Test
    void framesOverThePixelLimitAreRefusedBeforeDecoding() {
        Path file = clip(TestVideos.MP4_H264);
        assertRefused(file, "exceed the limit of 3000 pixels", () -> decoder.decodeFrames(file, new int[] {0}, 3000));
    }

    /**
     * A stream whose frames grow past its header's size is refused at that frame. This AVI (a fuzzer's mutation of a
     * test clip) has a header of 6 frames of 64x48, but its stream holds 3 frames, the third 65x48, which then stands
     * for the frames past the end.
     */
    @Test
    void framesGrowingPastTheHeaderAndTheLimitAreRefused() throws Exception {
        Path file = dir.resolve("grows.avi");
        try (var in = FfmpegVideoDecoderTest.class.getResourceAsStream("VideoFuzzTestInputs/videoBytes/avi_frame_size_changes_mid_stream")) {
            Files.copy(in, file);
        }
        VideoInfo info = decoder.probe(file);
        assertEquals(64, info.width());
        assertEquals(48, info.height());
        assertEquals(65, decoder.decodeFrames(file, new int[] {5}, 65 * 48).get(0).width());
        assertRefused(file, "frame 2 is 65x48 = 3120 pixels, more than its stream's header gave and over the limit of 3072 pixels",
                () -> decoder.decodeFrames(file, new int[] {0, 3}, 64 * 48));
    }

    /** Decoding reports its frames to the bound listener, which can stop it by throwing (as a server's time limit does). */
    @Test
    void decodingReportsItsProgressAndAListenerCanStopIt() {
        Path file = clip(TestVideos.MP4_H264);
        List<String> reports = new ArrayList<>();
        GenerationProgress collect = (stage, done, total, tokens) -> reports.add(stage + " " + done + "/" + total + " " + tokens);
        List<RgbImage> frames = GenerationProgress.during(collect, () -> decoder.decodeFrames(file, new int[] {0, FRAMES - 1}, Long.MAX_VALUE));
        assertIsFrame(FRAMES - 1, frames.get(1), "last frame");
        assertEquals(List.of("VIDEO 0/20 0", "VIDEO 16/20 0", "VIDEO 20/20 0"), reports);

        RuntimeException stop = new RuntimeException("time is up");
        GenerationProgress limit = (stage, done, total, tokens) -> {
            if (done >= 16) throw stop;
        };
        assertSame(stop, assertThrows(RuntimeException.class,
                () -> GenerationProgress.during(limit, () -> decoder.decodeFrames(file, new int[] {FRAMES - 1}, Long.MAX_VALUE))));
        assertIsFrame(FRAMES - 1, decoder.decodeFrames(file, new int[] {FRAMES - 1}, Long.MAX_VALUE).get(0), "decoded again afterwards");
    }

    @Test
    void badIndicesAreRefused() {
        Path file = clip(TestVideos.MP4_H264);
        assertThrows(IllegalArgumentException.class, () -> decoder.decodeFrames(file, new int[0], Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> decoder.decodeFrames(file, new int[] {-1, 2}, Long.MAX_VALUE));
    }
}
