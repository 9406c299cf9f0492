package qwen2vl4j.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import qwen2vl4j.MediaLoader;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionOptions;

/**
 * Fuzz target of the video-file path a server request takes (a video's bytes, staged in a temporary file, probed
 * and sampled by FFmpeg). Under {@code mvn verify} it runs in regression mode on its committed inputs
 * ({@code src/test/resources/qwen2vl4j/video/VideoFuzzTestInputs/videoBytes/}: small MP4, WebM, MOV and AVI clips);
 * {@code bin/fuzz} fuzzes it. The contract: frames within the pixel limit whose token count, taken before any
 * resizing (what a server checks against its budgets), is the count their processing makes; or an
 * {@link ImageDecodeException} naming the source. Never another exception or a hang. Jazzer instruments only Java, so FFmpeg's own code is exercised by
 * the mutations without guiding them.
 */
class VideoFuzzTest {
    private static final MediaLoader MEDIA = new MediaLoader(new ImageDecoder(1L << 20));
    private static final VideoProcessor PROCESSOR = new VideoProcessor(PreprocessorConfig.QWEN2_VL);
    /** Four frames at most, so that a mutated header claiming hours of video decodes in bounded time. */
    private static final VisionOptions FOUR_FRAMES = new VisionOptions(null, null, null, null, null, 4);

    @FuzzTest(maxDuration = "5s")
    void videoBytes(byte[] data) {
        for (VisionOptions options : new VisionOptions[] {VisionOptions.DEFAULT, FOUR_FRAMES}) {
            VideoSources.VideoInput video;
            try {
                video = MEDIA.video(List.of(new MediaSource.BytesSource(data, "fuzz")), options);
            } catch (ImageDecodeException refused) {
                assertTrue(refused.getMessage() != null && refused.getMessage().contains("fuzz"), refused.getMessage());
                continue;
            }
            List<RgbImage> frames = video.frames();
            assertTrue(!frames.isEmpty(), "a video that loads has frames");
            for (RgbImage f : frames) {
                // a stream may change its frame size mid-way: each frame is resized to the first one's target size
                assertTrue(f.width() >= 1 && f.height() >= 1 && (long) f.width() * f.height() <= ImageDecoder.DEFAULT_MAX_PIXELS,
                        "frame size " + f.width() + "x" + f.height());
                assertEquals(3L * f.width() * f.height(), f.rgb().length, "RGB bytes of a frame");
            }
            // the token count a server checks against its budgets before any resizing is the count processing makes
            long tokens = video.tokenCount(PROCESSOR, options);
            PixelValues pixels = video.process(PROCESSOR, options);
            assertEquals(tokens, pixels.tokenCount(PreprocessorConfig.QWEN2_VL.mergeSize()), "tokens counted before processing");
        }
    }
}
