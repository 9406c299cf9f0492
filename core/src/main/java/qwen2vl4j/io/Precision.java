package qwen2vl4j.io;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The arithmetic of the large matrix products. {@link #F32} is the reference: activations and products in float32
 * (bf16 weights widen exactly), the same answers as Hugging Face's float32 run to float32 rounding. {@link #BF16}
 * rounds the activations to bfloat16 at the input of each large product (vision tower, merger, text prefill,
 * batched decode) and lets a backend with a bf16 matrix unit (AVX512-BF16, AMX, Arm BF16) multiply in bf16 with
 * float32 accumulation, as Hugging Face does when the model is loaded in {@code torch.bfloat16}; everything else
 * (the residual stream, norms, softmax, rotary) stays float32.
 */
public enum Precision {
    F32, BF16;

    /** The name it is chosen by: {@code f32}, {@code bf16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The names {@link #parse} accepts. */
    public static List<String> labels() {
        return Arrays.stream(values()).map(Precision::label).toList();
    }

    /**
     * The precision called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for any other name, listing the allowed ones
     */
    public static Precision parse(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (Precision p : values()) {
            if (p.label().equals(wanted)) return p;
        }
        throw new IllegalArgumentException("unknown precision '" + name + "' (allowed: " + String.join(", ", labels()) + ")");
    }
}
