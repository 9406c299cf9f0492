package qwen2vl4j.io;

import java.util.Locale;

/**
 * The form a model's large matrices take when it loads: as the checkpoint stores them (BF16,
 * memory-mapped, no conversion), or quantized at load time to GGUF {@link DType#Q8_0} or
 * {@link DType#Q4_0}. A folder written by the {@code quantize} command is already quantized and
 * loads mapped under any format.
 */
public enum WeightFormat {
    /** As stored in the checkpoint (bf16 for the hub model): mapped, not converted. */
    BF16(null),
    /** GGUF Q8_0 (8.5 bits per weight). */
    Q8_0(DType.Q8_0),
    /** GGUF Q4_0 (4.5 bits per weight). */
    Q4_0(DType.Q4_0);


    private final DType quantizedType;

    WeightFormat(DType quantizedType) {
        this.quantizedType = quantizedType;
    }

    /** The block type matrices are quantized to, or null for {@link #BF16}. */
    public DType quantizedType() {
        return quantizedType;
    }

    /** The format named {@code name} (case-insensitive: bf16, q8_0, q4_0). */
    public static WeightFormat parse(String name) {
        return EnumSetting.parse(WeightFormat.class, name, "weight format");
    }


    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
