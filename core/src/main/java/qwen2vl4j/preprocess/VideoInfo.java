package qwen2vl4j.preprocess;

/**
 * What a video file's header (and, where the header lacks it, a scan of its packets) says about its
 * first video stream.
 *
 * @param frameCount      the number of frames in the stream (0 for an empty stream)
 * @param fps             the average frame rate, frames per second
 * @param width           frame width in pixels
 * @param height          frame height in pixels
 * @param durationSeconds the length of the file in seconds ({@code frameCount / fps} where the container gives none)
 */
public record VideoInfo(int frameCount, double fps, int width, int height, double durationSeconds) {
    public VideoInfo {
        if (frameCount < 0) throw new IllegalArgumentException("frame count must not be negative, found " + frameCount);
        if (!(fps > 0) || Double.isInfinite(fps)) throw new IllegalArgumentException("frame rate must be positive, found " + fps);
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive, found " + width + "x" + height);
        }
        if (!(durationSeconds >= 0)) throw new IllegalArgumentException("duration must not be negative, found " + durationSeconds);
    }

    /** Pixels in one frame, {@code width * height}. */
    public long pixelsPerFrame() {
        return (long) width * height;
    }
}
