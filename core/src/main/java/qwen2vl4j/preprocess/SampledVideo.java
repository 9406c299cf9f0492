package qwen2vl4j.preprocess;

import java.nio.file.Path;
import java.util.List;

/**
 * The frames sampled from a video file by {@link VideoFiles#load}: {@code frames.get(i)} is source frame
 * {@code frameIndices[i]}, at full size.
 *
 * @param file         the video file
 * @param info         what the probe found (frame count, frame rate, size, duration)
 * @param frameIndices the source frame chosen for each sampled frame
 * @param frames       the decoded frames, one per index
 */
public record SampledVideo(Path file, VideoInfo info, int[] frameIndices, List<RgbImage> frames) {
    public SampledVideo {
        frames = List.copyOf(frames);
        frameIndices = frameIndices.clone();
        if (frames.size() != frameIndices.length) {
            throw new IllegalArgumentException("video " + file + ": " + frames.size() + " frames for "
                    + frameIndices.length + " frame indices");
        }
    }

    /** The source frame chosen for each sampled frame (a copy). */
    @Override
    public int[] frameIndices() {
        return frameIndices.clone();
    }

    /** The frame rate of the sample: qwen-vl-utils' {@code nframes / total_frames * video_fps}. */
    public double sampledFps() {
        return frames.size() / (double) info.frameCount() * info.fps();
    }

    /**
     * {@code pixel_values_videos} of these frames: the same result as
     * {@link VideoProcessor#processVideo} on all frames of the file, since the sampling is already done
     * (the frames go through it again with {@code nframes} set to their count, which picks each once, in order).
     */
    public PixelValues process(VideoProcessor processor, VisionOptions options) {
        VisionOptions o = options == null ? VisionOptions.DEFAULT : options;
        VisionOptions sampled = new VisionOptions(o.minPixels(), o.maxPixels(), o.resizedHeight(), o.resizedWidth(),
                null, frames.size(), null);
        return processor.processVideo(frames, info.fps(), sampled);
    }
}
