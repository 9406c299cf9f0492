package qwen2vl4j.preprocess;

/**
 * The Qwen2-VL image pipeline with Pillow resizing: target size from {@link SmartResize} (with the
 * per-image {@link VisionOptions} as qwen-vl-utils applies them, then the processor's own bounds as
 * Hugging Face re-applies them), {@link PillowResize} bicubic, then {@link Patchify}.
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
        int[] first = userTarget(image.height(), image.width(), options);
        RgbImage resized = PillowResize.resizeBicubic(image, first[1], first[0]);
        int[] second = processorTarget(resized.height(), resized.width());
        return PillowResize.resizeBicubic(resized, second[1], second[0]);
    }

    /** {@code {height, width}} after both resizes for an image of {@code height x width}. */
    public int[] targetSize(int height, int width, VisionOptions options) {
        int[] first = userTarget(height, width, options);
        return processorTarget(first[0], first[1]);
    }

    private int[] userTarget(int height, int width, VisionOptions options) {
        VisionOptions o = options == null ? VisionOptions.DEFAULT : options;
        int factor = config.factor();
        if (o.hasResizedSize()) {
            return SmartResize.smartResize(o.resizedHeight(), o.resizedWidth(), factor, config.minPixels(), config.maxPixels());
        }
        long min = o.minPixels() != null ? o.minPixels() : config.minPixels();
        long max = o.maxPixels() != null ? o.maxPixels() : config.maxPixels();
        return SmartResize.smartResize(height, width, factor, min, max);
    }

    private int[] processorTarget(int height, int width) {
        return SmartResize.smartResize(height, width, config.factor(), config.minPixels(), config.maxPixels());
    }
}
