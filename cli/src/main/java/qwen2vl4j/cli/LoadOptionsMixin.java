package qwen2vl4j.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.preprocess.FrameSampling;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.PreprocessorConfig;

/**
 * The options of every command that loads a model ({@code run}, {@code chat}, {@code serve}): they become the
 * {@link LoadOptions} of {@link qwen2vl4j.Qwen2VL#load(String, LoadOptions)}. For compatibility with earlier
 * releases, {@code -Dqwen2vl4j.weights} and {@code -Dqwen2vl4j.kv-cache} (through {@code QWEN2VL4J_JAVA_OPTS})
 * still give the defaults of {@code --weights} and {@code --kv-cache}; the library itself reads no property.
 */
public final class LoadOptionsMixin {
    @Option(names = "--weights", paramLabel = "bf16|q8_0|q4_0", defaultValue = "${sys:qwen2vl4j.weights:-bf16}",
            converter = WeightsConverter.class,
            description = "matrices as stored (bf16, default) or quantized at load to q8_0 / q4_0 (a `quantize` folder loads as it is)")
    WeightFormat weights = WeightFormat.BF16;

    @Mixin
    KvCacheOption kvCache;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "threads for the kernels, 1 to the available processors (default: all of them)")
    int threads;

    @Option(names = "--min-pixels", paramLabel = "PIXELS",
            description = "smallest pixel budget an image is resized to (default: preprocessor_config.json's min_pixels)")
    Long minPixels;

    @Option(names = "--max-pixels", paramLabel = "PIXELS",
            description = "largest pixel budget an image is resized to, e.g. 1003520 for 1280 visual tokens "
                    + "(default: preprocessor_config.json's max_pixels)")
    Long maxPixels;

    @Option(names = "--video-max-pixels", paramLabel = "PIXELS",
            description = "largest pixel budget of one video frame, for videos without their own max_pixels "
                    + "(default: qwen-vl-utils' rule, 602112 = 768 tokens per frame, less for long videos)")
    Long videoMaxPixels;

    @Option(names = "--fps", paramLabel = "F",
            description = "frames per second sampled from a video file without its own fps or nframes (default: 2)")
    Double fps;

    @Option(names = "--max-frames", paramLabel = "N",
            description = "most frames sampled from a video file (default: " + LoadOptions.MAX_FRAMES + ")")
    Integer maxFrames;

    /** The lowest pixel budget a flag takes: one visual token's 28×28 pixels. */
    static final long MIN_BUDGET = LoadOptions.MIN_PIXEL_BUDGET;
    /** The highest frame rate {@code --fps} takes. */
    static final double MAX_FPS = 60;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "compute backend of the matrix products: auto (default: the best available), java, or an installed one")
    String backend = "auto";

    @Option(names = "--precision", paramLabel = "f32|bf16", defaultValue = "f32", converter = PrecisionConverter.class,
            description = "arithmetic of the large matrix products: f32 (default, the reference) or bf16 (inputs rounded to bf16, "
                    + "on the CPU's bf16 matrix units through the onednn backend; without them the Java kernels compute in f32 and say so)")
    Precision precision = Precision.F32;

    /**
     * The load options these flags give.
     *
     * @throws IllegalArgumentException naming the flag and its valid range
     */
    LoadOptions toLoadOptions() {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads < 0 || threads > processors) {
            throw new IllegalArgumentException("--threads must be in [1, " + processors + "] (the available processors; 0, the default, takes all), got " + threads);
        }
        LoadOptions.checkBackend("--backend", backend);
        budgets(minPixels, maxPixels);
        budget("--video-max-pixels", videoMaxPixels);
        checkFps(fps);
        if (maxFrames != null && (maxFrames < FrameSampling.FRAME_FACTOR || maxFrames > LoadOptions.MAX_FRAMES)) {
            throw new IllegalArgumentException("--max-frames must be in [" + FrameSampling.FRAME_FACTOR + ", " + LoadOptions.MAX_FRAMES
                    + "], got " + maxFrames);
        }
        return LoadOptions.builder().weights(weights).kvCache(kvCache.type).threads(threads)
                .minPixels(orZero(minPixels)).maxPixels(orZero(maxPixels))
                .videoMaxPixels(orZero(videoMaxPixels)).fps(fps == null ? 0 : fps).maxFrames(maxFrames == null ? 0 : maxFrames)
                .backend(backend).precision(precision).build();
    }

    /**
     * The load options for the model in {@code folder}: {@link #toLoadOptions()}, and a pixel flag given alone must
     * not cross the model's own value on the other side (preprocessor_config.json).
     *
     * @throws IllegalArgumentException naming the flag and its valid range
     */
    LoadOptions toLoadOptions(java.nio.file.Path folder) {
        LoadOptions options = toLoadOptions();
        if ((maxPixels == null) == (minPixels == null)) return options;
        PreprocessorConfig pre = PreprocessorConfig.load(folder);
        if (maxPixels != null && maxPixels < pre.minPixels()) {
            throw new IllegalArgumentException("--max-pixels " + maxPixels + " is below the model's min_pixels " + pre.minPixels()
                    + " (preprocessor_config.json): --max-pixels must be in [" + pre.minPixels() + ", " + ImageDecoder.DEFAULT_MAX_PIXELS
                    + "], or give a lower --min-pixels too");
        }
        if (minPixels != null && minPixels > pre.maxPixels()) {
            throw new IllegalArgumentException("--min-pixels " + minPixels + " is above the model's max_pixels " + pre.maxPixels()
                    + " (preprocessor_config.json): --min-pixels must be in [" + MIN_BUDGET + ", " + pre.maxPixels()
                    + "], or give a higher --max-pixels too");
        }
        return options;
    }

    /** A budget flag given ({@code value} not null) must be in range. */
    static void budget(String flag, Long value) {
        if (value != null) LoadOptions.checkPixelBudget(flag, value, false);
    }

    /** {@code --min-pixels} and {@code --max-pixels} as given (null: not given): each in range, the first not above the second. */
    static void budgets(Long minPixels, Long maxPixels) {
        budget("--min-pixels", minPixels);
        budget("--max-pixels", maxPixels);
        if (minPixels != null && maxPixels != null && minPixels > maxPixels) {
            throw new IllegalArgumentException("--min-pixels " + minPixels + " is larger than --max-pixels " + maxPixels
                    + ": --min-pixels must be in [" + MIN_BUDGET + ", " + maxPixels + "]");
        }
    }

    /** {@code --fps} as given (null: not given) must be in (0, {@link #MAX_FPS}]. */
    static void checkFps(Double fps) {
        if (fps != null && !(fps > 0 && fps <= MAX_FPS)) {
            throw new IllegalArgumentException("--fps must be in (0, " + (int) MAX_FPS + "], got " + fps);
        }
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    /** Parses {@code f32} / {@code bf16} case-insensitively, with the accepted names in the error. */
    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Parses the names case-insensitively, with the accepted names in the error. */
    static final class WeightsConverter implements ITypeConverter<WeightFormat> {
        @Override
        public WeightFormat convert(String value) {
            try {
                return WeightFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
