package qwen2vl4j.spark;

import java.io.Serializable;
import java.util.Objects;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.text.KvCacheType;

/**
 * What an executor needs to load the model: its location and load options, nothing else. This is all a Spark task
 * carries; the model itself is loaded once per executor JVM by {@link ExecutorModels}, keyed by this record.
 *
 * @param model     a model folder (local, or on a file system every executor sees) or a Hugging Face repo id
 * @param weights   {@code bf16} (as stored, memory-mapped), {@code q8_0} or {@code q4_0} (quantized at load)
 * @param kvCache   {@code f32}, {@code bf16} or {@code f16}
 * @param minPixels smallest pixel budget an image is resized to; 0 keeps the preprocessor's
 * @param maxPixels largest pixel budget an image is resized to; 0 keeps the preprocessor's
 * @param threads   kernel threads; 0 uses every core of the executor
 * @param precision {@code f32} (the reference) or {@code bf16} (the large products on the CPU's bf16 units through
 *                  the onednn backend, where the executor has them; elsewhere f32, said once in its log)
 */
public record ModelSpec(String model, String weights, String kvCache, long minPixels, long maxPixels, int threads, String precision)
        implements Serializable {

    public ModelSpec {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("model must name a model folder or a Hugging Face repo id, found " + (model == null ? "null" : "\"\""));
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(kvCache, "kvCache");
        Objects.requireNonNull(precision, "precision");
        loadOptions(weights, kvCache, minPixels, maxPixels, threads, precision);   // validates every field, naming it
    }

    /** The options at f32 precision. */
    public ModelSpec(String model, String weights, String kvCache, long minPixels, long maxPixels, int threads) {
        this(model, weights, kvCache, minPixels, maxPixels, threads, "f32");
    }

    /** The model with the reference settings (bf16 weights, f32 KV cache, the preprocessor's pixel budgets). */
    public static ModelSpec of(String model) {
        return new ModelSpec(model, "bf16", "f32", 0, 0, 0, "f32");
    }

    public LoadOptions loadOptions() {
        return loadOptions(weights, kvCache, minPixels, maxPixels, threads, precision);
    }

    private static LoadOptions loadOptions(String weights, String kvCache, long minPixels, long maxPixels, int threads, String precision) {
        return LoadOptions.builder().weights(WeightFormat.parse(weights)).kvCache(KvCacheType.parse(kvCache))
                .minPixels(minPixels).maxPixels(maxPixels).threads(threads).precision(Precision.parse(precision)).build();
    }
}
