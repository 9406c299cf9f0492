package qwen2vl4j.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.io.WeightFormat;

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

    @Option(names = "--min-pixels", paramLabel = "PIXELS", defaultValue = "0",
            description = "smallest pixel budget an image is resized to (default: preprocessor_config.json's min_pixels)")
    long minPixels;

    @Option(names = "--max-pixels", paramLabel = "PIXELS", defaultValue = "0",
            description = "largest pixel budget an image is resized to, e.g. 1003520 for 1280 visual tokens "
                    + "(default: preprocessor_config.json's max_pixels)")
    long maxPixels;

    /**
     * The load options these flags give.
     *
     * @throws IllegalArgumentException naming the flag and its valid range
     */
    LoadOptions toLoadOptions() {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads < 0 || threads > processors) {
            throw new IllegalArgumentException("--threads must be in [1, " + processors + "] (the available processors), got " + threads);
        }
        if (minPixels < 0) throw new IllegalArgumentException("--min-pixels must be positive, got " + minPixels);
        if (maxPixels < 0) throw new IllegalArgumentException("--max-pixels must be positive, got " + maxPixels);
        if (minPixels > 0 && maxPixels > 0 && minPixels > maxPixels) {
            throw new IllegalArgumentException("--min-pixels " + minPixels + " is larger than --max-pixels " + maxPixels);
        }
        return LoadOptions.builder().weights(weights).kvCache(kvCache.type).threads(threads)
                .minPixels(minPixels).maxPixels(maxPixels).build();
    }

    /** Parses the names case-insensitively, with the accepted names in the error. */
    static final class WeightsConverter implements ITypeConverter<WeightFormat> {
        @Override
        public WeightFormat convert(String value) {
            return WeightFormat.parse(value);
        }
    }
}
