package qwen2vl4j.preprocess;

/**
 * The Qwen2-VL image pipeline with Pillow resizing: target size from {@link SmartResize}, {@link PillowResize}
 * bicubic, then {@link Patchify}. Without size options this is exactly the Hugging Face image processor with
 * this config. With size options ({@link VisionOptions#hasSizeOptions()}) the image is first resized as
 * qwen-vl-utils' {@code fetch_image} does, then the processor's own smart_resize applies (an identity unless
 * the options leave the processor's bounds).
 */
public final class ImageProcessor {
    private final PreprocessorConfig config;

    public ImageProcessor(PreprocessorConfig config) {
        this.config = config;
    }

    public PreprocessorConfig config() {
        return config;
    }

    /** Resizes and patchifies with the model's defaults. */
    public ProcessedImage process(RgbImage image) {
        return process(image, VisionOptions.DEFAULT);
    }

    /** Resizes and patchifies with per-image options. */
    public ProcessedImage process(RgbImage image, VisionOptions options) {
        RgbImage resized = resize(image, options);
        return new ProcessedImage(resized, Patchify.image(resized, config));
    }

    /** The resized image alone (what {@code fetch_image} then the processor's resize produce). */
    public RgbImage resize(RgbImage image, VisionOptions options) {
        RgbImage resized = image;
        if (options != null && options.hasSizeOptions()) {
            int[] first = userTarget(image.height(), image.width(), options);
            resized = PillowResize.resizeBicubic(image, first[1], first[0]);
        }
        int[] second = processorTarget(resized.height(), resized.width());
        return PillowResize.resizeBicubic(resized, second[1], second[0]);
    }

    /** {@code {height, width}} after both resizes for an image of {@code height x width}. */
    public int[] targetSize(int height, int width, VisionOptions options) {
        if (options == null || !options.hasSizeOptions()) return processorTarget(height, width);
        int[] first = userTarget(height, width, options);
        return processorTarget(first[0], first[1]);
    }

    /**
     * The LLM tokens an image of {@code height x width} becomes with {@code options}: pure arithmetic on the
     * sizes, so a caller can bound the work before decoding anything.
     */
    public long tokenCount(int height, int width, VisionOptions options) {
        int[] size = targetSize(height, width, options);
        return (long) (size[0] / config.factor()) * (size[1] / config.factor());
    }

    /**
     * Refuses per-image (or per-frame) options that would make the work unbounded: a {@code min_pixels} above the
     * processor's own {@code max_pixels} upsamples a small image to any size (4e9 pixels is 12 GB), only for the
     * processor to shrink it back to {@code max_pixels}.
     *
     * @throws IllegalArgumentException naming the option and its valid range
     */
    public VisionOptions check(VisionOptions o) {
        if (o != null && o.minPixels() != null && o.minPixels() > config.maxPixels()) {
            throw new IllegalArgumentException("min_pixels must be in [1, " + config.maxPixels() + "] (the processor's max_pixels), found "
                    + o.minPixels());
        }
        return o;
    }

    /** qwen-vl-utils' {@code fetch_image} size. */
    private int[] userTarget(int height, int width, VisionOptions o) {
        check(o);
        int factor = config.factor();
        if (o.hasResizedSize()) {
            return SmartResize.qwenVlUtils(o.resizedHeight(), o.resizedWidth(), factor, config.minPixels(), config.maxPixels());
        }
        long min = o.minPixels() != null ? o.minPixels() : config.minPixels();
        long max = o.maxPixels() != null ? o.maxPixels() : config.maxPixels();
        return SmartResize.qwenVlUtils(height, width, factor, min, max);
    }

    private int[] processorTarget(int height, int width) {
        return SmartResize.smartResize(height, width, config.factor(), config.minPixels(), config.maxPixels());
    }
}
