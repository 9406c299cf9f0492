package qwen2vl4j.preprocess;

import java.util.Map;

/**
 * Per-image or per-video options as qwen-vl-utils takes them from a message ({@code min_pixels},
 * {@code max_pixels}, {@code resized_height}, {@code resized_width}, {@code fps}, {@code nframes}, and
 * {@code max_frames}, the most frames sampled from a video at {@code fps}); {@code null} means "not given". {@code resizedHeight}/{@code resizedWidth} only apply when both are given,
 * and still go through smart_resize with factor 28.
 */
public record VisionOptions(Long minPixels, Long maxPixels, Integer resizedHeight, Integer resizedWidth,
                            Double fps, Integer nframes, Integer maxFrames) {
    /** No options: the model's defaults. */
    public static final VisionOptions DEFAULT = new VisionOptions(null, null, null, null, null, null, null);

    /** Options without a frame limit ({@code maxFrames}: qwen-vl-utils' 768). */
    public VisionOptions(Long minPixels, Long maxPixels, Integer resizedHeight, Integer resizedWidth, Double fps, Integer nframes) {
        this(minPixels, maxPixels, resizedHeight, resizedWidth, fps, nframes, null);
    }

    public VisionOptions {
        if (minPixels != null && minPixels <= 0) throw new IllegalArgumentException("min_pixels must be positive, found " + minPixels);
        if (maxPixels != null && maxPixels <= 0) throw new IllegalArgumentException("max_pixels must be positive, found " + maxPixels);
        if (resizedHeight != null && resizedHeight <= 0) throw new IllegalArgumentException("resized_height must be positive, found " + resizedHeight);
        if (resizedWidth != null && resizedWidth <= 0) throw new IllegalArgumentException("resized_width must be positive, found " + resizedWidth);
        if (fps != null && !(fps > 0)) throw new IllegalArgumentException("fps must be positive, found " + fps);
        if (nframes != null && nframes <= 0) throw new IllegalArgumentException("nframes must be positive, found " + nframes);
        if (maxFrames != null && maxFrames < FrameSampling.FRAME_FACTOR) {
            throw new IllegalArgumentException("max_frames must be at least " + FrameSampling.FRAME_FACTOR + ", found " + maxFrames);
        }
    }

    /** Options with only pixel bounds (either may be null). */
    public static VisionOptions pixels(Long minPixels, Long maxPixels) {
        return new VisionOptions(minPixels, maxPixels, null, null, null, null);
    }

    /**
     * These options with default pixel bounds for an image part that gives none of its own (a part with a resized
     * size, or with its own bound, keeps it; a default that would cross the part's own bound is dropped).
     */
    public VisionOptions withImageDefaults(Long defaultMinPixels, Long defaultMaxPixels) {
        if (hasResizedSize()) return this;
        Long min = minPixels != null ? minPixels : defaultMinPixels;
        Long max = maxPixels != null ? maxPixels : defaultMaxPixels;
        if (min != null && max != null && min > max) {
            if (minPixels == null) min = null;
            else max = null;
        }
        return new VisionOptions(min, max, resizedHeight, resizedWidth, fps, nframes, maxFrames);
    }

    /**
     * These options with {@code defaults} filling the ones not given here: a video's per-frame {@code max_pixels}
     * (unless a resized size is given), {@code fps} (unless {@code nframes} is), {@code max_frames}.
     */
    public VisionOptions withVideoDefaults(Long defaultMaxPixels, Double defaultFps, Integer defaultMaxFrames) {
        Long max = maxPixels != null || hasResizedSize() ? maxPixels : defaultMaxPixels;
        Double f = fps != null || nframes != null ? fps : defaultFps;
        Integer frames = maxFrames != null ? maxFrames : defaultMaxFrames;
        Long min = minPixels;
        if (min == null && max != null && max < FrameSampling.VIDEO_MIN_PIXELS) min = max;   // a small budget lowers the floor too
        return new VisionOptions(min, max, resizedHeight, resizedWidth, f, nframes, frames);
    }

    /** True when a size option is given (pixel bounds or a resized size): qwen-vl-utils' resize then applies. */
    public boolean hasSizeOptions() {
        return minPixels != null || maxPixels != null || hasResizedSize();
    }

    /** True when both {@code resizedHeight} and {@code resizedWidth} are given. */
    public boolean hasResizedSize() {
        return resizedHeight != null && resizedWidth != null;
    }

    /**
     * The options of a message part as qwen-vl-utils reads them ({@code min_pixels}, {@code max_pixels},
     * {@code resized_height}, {@code resized_width}, {@code fps}, {@code nframes}; numbers or numeric strings).
     *
     * @throws IllegalArgumentException naming the option when a value is not a positive number
     */
    public static VisionOptions fromMap(Map<String, Object> o) {
        if (o == null || o.isEmpty()) return VisionOptions.DEFAULT;
        return new VisionOptions(longOpt(o, "min_pixels"), longOpt(o, "max_pixels"), intOpt(o, "resized_height"),
                intOpt(o, "resized_width"), doubleOpt(o, "fps"), intOpt(o, "nframes"), intOpt(o, "max_frames"));
    }

    private static Number number(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n;
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("option " + key + " must be a number, found " + v);
    }

    private static Long longOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        if (n == null) return null;
        double d = n.doubleValue();
        if (!(d >= 1 && d <= 0x1p53)) {
            throw new IllegalArgumentException("option " + key + " must be in [1, 9007199254740992], found " + n);
        }
        return n.longValue();
    }

    private static Integer intOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        if (n == null) return null;
        double d = n.doubleValue();
        if (!(d >= 1 && d <= Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("option " + key + " must be in [1, " + Integer.MAX_VALUE + "], found " + n);
        }
        return n.intValue();
    }

    private static Double doubleOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        return n == null ? null : n.doubleValue();
    }
}
