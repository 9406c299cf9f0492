package qwen2vl4j.preprocess;

/**
 * Per-image or per-video options as qwen-vl-utils takes them from a message ({@code min_pixels},
 * {@code max_pixels}, {@code resized_height}, {@code resized_width}, {@code fps}, {@code nframes});
 * {@code null} means "not given". {@code resizedHeight}/{@code resizedWidth} only apply when both are given,
 * and still go through smart_resize with factor 28.
 */
public record VisionOptions(Long minPixels, Long maxPixels, Integer resizedHeight, Integer resizedWidth,
                            Double fps, Integer nframes) {
    /** No options: the model's defaults. */
    public static final VisionOptions DEFAULT = new VisionOptions(null, null, null, null, null, null);

    public VisionOptions {
        if (minPixels != null && minPixels <= 0) throw new IllegalArgumentException("min_pixels must be positive, found " + minPixels);
        if (maxPixels != null && maxPixels <= 0) throw new IllegalArgumentException("max_pixels must be positive, found " + maxPixels);
        if (resizedHeight != null && resizedHeight <= 0) throw new IllegalArgumentException("resized_height must be positive, found " + resizedHeight);
        if (resizedWidth != null && resizedWidth <= 0) throw new IllegalArgumentException("resized_width must be positive, found " + resizedWidth);
        if (fps != null && !(fps > 0)) throw new IllegalArgumentException("fps must be positive, found " + fps);
        if (nframes != null && nframes <= 0) throw new IllegalArgumentException("nframes must be positive, found " + nframes);
    }

    /** Options with only pixel bounds (either may be null). */
    public static VisionOptions pixels(Long minPixels, Long maxPixels) {
        return new VisionOptions(minPixels, maxPixels, null, null, null, null);
    }

    /** True when a size option is given (pixel bounds or a resized size): qwen-vl-utils' resize then applies. */
    public boolean hasSizeOptions() {
        return minPixels != null || maxPixels != null || hasResizedSize();
    }

    /** True when both {@code resizedHeight} and {@code resizedWidth} are given. */
    public boolean hasResizedSize() {
        return resizedHeight != null && resizedWidth != null;
    }
}
