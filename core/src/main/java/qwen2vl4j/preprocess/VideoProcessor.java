package qwen2vl4j.preprocess;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns video frames into {@code pixel_values_videos} as qwen-vl-utils followed by the Hugging Face
 * video processor do. Two entry points:
 * <ul>
 * <li>{@link #processFrameList}: frames given as a list of images. Each goes through the image path
 * (image pixel bounds, Pillow bicubic), none is dropped, an odd count is padded with the last frame.</li>
 * <li>{@link #processVideo}: decoded frames of a real video with its frame rate (an animated GIF, or any
 * decoder): frames are sampled ({@link FrameSampling}), then resized within the per-frame video budget.
 * qwen-vl-utils resizes these with torchvision; Pillow bicubic is used here, which may differ by 1 in a
 * few samples.</li>
 * </ul>
 * The processor's own smart_resize (its configured bounds) is applied last, as Hugging Face does.
 */
public final class VideoProcessor {
    private final PreprocessorConfig config;
    private final ImageProcessor images;

    public VideoProcessor(PreprocessorConfig config) {
        this.config = config;
        this.images = new ImageProcessor(config);
    }

    /** Frames given as a list of images, used as they are (no sampling). */
    public PixelValues processFrameList(List<RgbImage> frames, VisionOptions options) {
        requireFrames(frames);
        List<RgbImage> resized = new ArrayList<>(frames.size());
        for (RgbImage f : frames) resized.add(images.resize(f, options));
        return finish(resized);
    }

    /**
     * Frames decoded from a video at {@code videoFps} frames per second: sampled, resized, patchified.
     *
     * @throws IllegalArgumentException for no frames or a frame count the sampling rules refuse
     */
    public PixelValues processVideo(List<RgbImage> frames, double videoFps, VisionOptions options) {
        requireFrames(frames);
        VisionOptions o = images.check(options == null ? VisionOptions.DEFAULT : options);
        int n = FrameSampling.smartNframes(frames.size(), videoFps, o);
        int[] indices = FrameSampling.frameIndices(frames.size(), n);
        RgbImage first = frames.get(indices[0]);
        int[] size;
        if (o.hasResizedSize()) {
            size = SmartResize.qwenVlUtils(o.resizedHeight(), o.resizedWidth(), config.factor(),
                    PreprocessorConfig.QWEN2_VL.minPixels(), PreprocessorConfig.QWEN2_VL.maxPixels());
        } else {
            size = SmartResize.qwenVlUtils(first.height(), first.width(), config.factor(),
                    FrameSampling.frameMinPixels(o), FrameSampling.frameMaxPixels(n, o));
        }
        List<RgbImage> sampled = new ArrayList<>(n);
        for (int i : indices) {
            sampled.add(PillowResize.resizeBicubic(frames.get(i), size[1], size[0]));
        }
        return finish(sampled);
    }

    /**
     * The LLM tokens of frames given as a list (each {@code {height, width}}) with {@code options}, as
     * {@link #processFrameList} would make them: arithmetic on the sizes alone.
     *
     * @throws IllegalArgumentException for no frames, options out of range, or frames of different sizes after resizing
     */
    public long frameListTokens(List<int[]> frameSizes, VisionOptions options) {
        if (frameSizes == null || frameSizes.isEmpty()) throw new IllegalArgumentException("video has no frames");
        int[] size = null;
        for (int i = 0; i < frameSizes.size(); i++) {
            int[] s = images.targetSize(frameSizes.get(i)[0], frameSizes.get(i)[1], images.check(options));
            if (size == null) {
                size = s;
            } else if (s[0] != size[0] || s[1] != size[1]) {
                throw new IllegalArgumentException("video frames must have one size after resizing: frame " + i + " becomes "
                        + s[1] + "x" + s[0] + ", frame 0 becomes " + size[1] + "x" + size[0]);
            }
        }
        return tokens(frameSizes.size(), size);
    }

    /**
     * The LLM tokens of {@code frameCount} decoded frames of {@code height x width} at {@code videoFps}, as
     * {@link #processVideo} would make them: arithmetic on the sizes alone.
     */
    public long videoTokens(int frameCount, int height, int width, double videoFps, VisionOptions options) {
        VisionOptions o = images.check(options == null ? VisionOptions.DEFAULT : options);
        int n = FrameSampling.smartNframes(frameCount, videoFps, o);
        int[] size;
        if (o.hasResizedSize()) {
            size = SmartResize.qwenVlUtils(o.resizedHeight(), o.resizedWidth(), config.factor(),
                    PreprocessorConfig.QWEN2_VL.minPixels(), PreprocessorConfig.QWEN2_VL.maxPixels());
        } else {
            size = SmartResize.qwenVlUtils(height, width, config.factor(), FrameSampling.frameMinPixels(o), FrameSampling.frameMaxPixels(n, o));
        }
        return tokens(n, SmartResize.smartResize(size[0], size[1], config.factor(), config.minPixels(), config.maxPixels()));
    }

    private long tokens(int frames, int[] size) {
        int tps = config.temporalPatchSize();
        long t = (frames + tps - 1) / tps;
        return t * (size[0] / config.factor()) * (size[1] / config.factor());
    }

    private PixelValues finish(List<RgbImage> frames) {
        RgbImage f0 = frames.get(0);
        for (int i = 1; i < frames.size(); i++) {
            RgbImage f = frames.get(i);
            if (f.width() != f0.width() || f.height() != f0.height()) {
                throw new IllegalArgumentException("video frames must have one size after resizing: frame " + i + " is "
                        + f.width() + "x" + f.height() + ", frame 0 is " + f0.width() + "x" + f0.height());
            }
        }
        int[] size = SmartResize.smartResize(f0.height(), f0.width(), config.factor(), config.minPixels(), config.maxPixels());
        List<RgbImage> out = frames;
        if (size[0] != f0.height() || size[1] != f0.width()) {
            out = new ArrayList<>(frames.size());
            for (RgbImage f : frames) out.add(PillowResize.resizeBicubic(f, size[1], size[0]));
        }
        return Patchify.frames(out, config);
    }

    private static void requireFrames(List<RgbImage> frames) {
        if (frames == null || frames.isEmpty()) throw new IllegalArgumentException("video has no frames");
    }
}
