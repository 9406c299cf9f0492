package qwen2vl4j.preprocess;

/**
 * How many frames qwen-vl-utils (v0.0.8, the Qwen2-VL release) takes from a video and which ones
 * ({@code smart_nframes} and the rounded float32 {@code torch.linspace} of frame indices), and the
 * per-frame pixel budget it gives them.
 */
public final class FrameSampling {
    /** Frame counts are multiples of this. */
    public static final int FRAME_FACTOR = 2;
    /** Frames per second sampled when the request gives none. */
    public static final double FPS = 2.0;
    public static final int FPS_MIN_FRAMES = 4;
    public static final int FPS_MAX_FRAMES = 768;
    /** Per-frame pixel bounds and the total budget of all frames (v0.0.8 values). */
    public static final long VIDEO_MIN_PIXELS = 128L * 28 * 28;
    public static final long VIDEO_MAX_PIXELS = 768L * 28 * 28;
    public static final long VIDEO_TOTAL_PIXELS = 24576L * 28 * 28;

    private FrameSampling() {}

    /**
     * The number of frames to sample from a video of {@code totalFrames} frames at {@code videoFps}.
     *
     * @throws IllegalArgumentException when the result is not in {@code [2, totalFrames]}
     */
    public static int smartNframes(int totalFrames, double videoFps, VisionOptions options) {
        VisionOptions o = options == null ? VisionOptions.DEFAULT : options;
        double n;
        if (o.nframes() != null) {
            n = Math.rint(o.nframes() / (double) FRAME_FACTOR) * FRAME_FACTOR;
        } else {
            if (!(videoFps > 0)) throw new IllegalArgumentException("video frame rate must be positive, found " + videoFps);
            double fps = o.fps() != null ? o.fps() : FPS;
            double minFrames = Math.ceil(FPS_MIN_FRAMES / (double) FRAME_FACTOR) * FRAME_FACTOR;
            double maxFrames = Math.floor(Math.min(o.maxFrames() != null ? o.maxFrames() : FPS_MAX_FRAMES, totalFrames) / (double) FRAME_FACTOR) * FRAME_FACTOR;
            n = totalFrames / videoFps * fps;
            n = Math.min(Math.max(n, minFrames), maxFrames);
            n = Math.rint(n / FRAME_FACTOR) * FRAME_FACTOR;
        }
        if (totalFrames < FRAME_FACTOR) {
            throw new IllegalArgumentException("a video needs at least " + FRAME_FACTOR + " frames, this one has " + totalFrames
                    + " (send a single frame as an image)");
        }
        if (!(n >= FRAME_FACTOR && n <= totalFrames)) {
            throw new IllegalArgumentException("nframes should be in the interval [" + FRAME_FACTOR + ", " + totalFrames
                    + "], found " + (long) n + " (the video has " + totalFrames + " frames)");
        }
        return (int) n;
    }

    /**
     * {@code round(torch.linspace(0, totalFrames - 1, n))}: float32 linspace (first half from the start,
     * second half from the end, as torch computes it), rounded half to even.
     */
    public static int[] frameIndices(int totalFrames, int n) {
        if (n <= 0) throw new IllegalArgumentException("number of frames must be positive, found " + n);
        int[] out = new int[n];
        float start = 0f, end = totalFrames - 1;
        if (n == 1) {
            out[0] = 0;
            return out;
        }
        float step = (end - start) / (n - 1);
        int halfway = n / 2;
        for (int i = 0; i < n; i++) {
            float v = i < halfway ? start + step * i : end - step * (n - 1 - i);
            out[i] = (int) Math.rint(v);
        }
        return out;
    }

    /**
     * The largest pixel count of one frame when {@code nframes} frames are sampled: qwen-vl-utils'
     * {@code max(min(VIDEO_MAX_PIXELS, total / nframes * 2), int(min_pixels * 1.05))}, or the request's max_pixels.
     */
    public static double frameMaxPixels(int nframes, VisionOptions options) {
        VisionOptions o = options == null ? VisionOptions.DEFAULT : options;
        if (o.maxPixels() != null) return o.maxPixels();
        double min = frameMinPixels(o);
        return Math.max(Math.min(VIDEO_MAX_PIXELS, (double) VIDEO_TOTAL_PIXELS / nframes * FRAME_FACTOR), (long) (min * 1.05));
    }

    /** The least pixel count of one frame: the request's min_pixels or {@link #VIDEO_MIN_PIXELS}. */
    public static double frameMinPixels(VisionOptions options) {
        return options != null && options.minPixels() != null ? options.minPixels() : VIDEO_MIN_PIXELS;
    }
}
