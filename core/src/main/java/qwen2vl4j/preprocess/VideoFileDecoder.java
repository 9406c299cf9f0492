package qwen2vl4j.preprocess;

import java.nio.file.Path;
import java.util.List;

/**
 * A service that decodes video files (MP4, WebM, MOV, ...) into RGB frames. Core ships none: the optional
 * {@code qwen2vl4j-video} module provides one (FFmpeg), registered in
 * {@code META-INF/services/qwen2vl4j.preprocess.VideoFileDecoder} and found by {@link VideoFiles}.
 * Implementations must be stateless and thread-safe, with a public no-argument constructor.
 * Every failure is an {@link ImageDecodeException} whose message names the file.
 */
public interface VideoFileDecoder {
    /** True when this decoder handles files like {@code file} (decided from the name; the file is not read). */
    boolean canDecode(Path file);

    /**
     * Frame count, frame rate, frame size and duration of the first video stream of {@code file}.
     *
     * @throws ImageDecodeException for a missing, unreadable or undecodable file, or one without a video stream
     */
    VideoInfo probe(Path file);

    /**
     * Decodes the frames at {@code frameIndices} (0-based, any order, repeats allowed), returned in the order
     * asked. A file shorter than its header claims gives its last decoded frame for indices past its end.
     *
     * @param maxPixelsPerFrame frames with more pixels ({@code width * height}) are refused: before any decoding when
     *                          the stream's header gives such a size, at the first such frame when frames grow past it
     * @throws ImageDecodeException for a missing or undecodable file, no decodable frame, or frames over the limit
     * @throws IllegalArgumentException for an empty or negative index
     */
    List<RgbImage> decodeFrames(Path file, int[] frameIndices, long maxPixelsPerFrame);
}
