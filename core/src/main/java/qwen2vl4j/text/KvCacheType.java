package qwen2vl4j.text;

import java.util.Locale;
import qwen2vl4j.io.EnumSetting;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.kernels.KvRows;

/**
 * How a {@link TextSession} stores its cached keys and values: float32 (exact, the default) or a 16-bit
 * form that halves the cache's memory and the bytes each decode step reads from it, at a rounding of the
 * cached values (bfloat16 keeps float32's range with 8 significant bits; f16 has 11 bits and a largest
 * finite value of 65504: larger cached values are saturated to ±65504, never stored as infinite).
 */
public enum KvCacheType {
    F32(KvRows.Precision.F32),
    BF16(KvRows.Precision.BF16),
    F16(KvRows.Precision.F16);


    private final KvRows.Precision precision;

    KvCacheType(KvRows.Precision precision) {
        this.precision = precision;
    }

    KvRows.Precision precision() {
        return precision;
    }

    /** Bytes per cached value. */
    public int bytesPerValue() {
        return precision.bytes();
    }

    /** Cache memory per token of context: a key and a value row of {@code kvDim} values in every layer. */
    public long bytesPerToken(TextConfig c) {
        return 2L * c.numHiddenLayers() * c.kvDim() * bytesPerValue();
    }

    /** The type named {@code name} (case-insensitive: f32, bf16, f16). */
    public static KvCacheType parse(String name) {
        return EnumSetting.parse(KvCacheType.class, name, "KV cache type");
    }


    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
