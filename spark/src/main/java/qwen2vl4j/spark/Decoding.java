package qwen2vl4j.spark;

import java.io.Serializable;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.generate.SamplingParams;

/**
 * How answers are decoded: greedy by default; sampling with a temperature (and top-k, top-p, seed) otherwise. The
 * rest (end tokens, repetition penalty) comes from the model's generation_config.json, as in the library.
 *
 * @param maxTokens   the most tokens an answer may have
 * @param greedy      pick the most likely token at every step (reference-exact, the same answer every run)
 * @param temperature sampling temperature (> 0) when not greedy
 * @param topK        sampling keeps the k most likely tokens; 0 keeps all
 * @param topP        nucleus sampling mass in (0, 1]
 * @param seed        sampling seed; null draws one per row
 */
public record Decoding(int maxTokens, boolean greedy, double temperature, int topK, double topP, Long seed)
        implements Serializable {

    public Decoding {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        SamplingParams.builder().temperature(temperature).topK(topK).topP(topP).build();   // names a bad field
    }

    /** Greedy decoding of up to {@code maxTokens} tokens. */
    public static Decoding greedy(int maxTokens) {
        return new Decoding(maxTokens, true, 1.0, 0, 1.0, null);
    }

    /** The sampling parameters for {@code model}. */
    public SamplingParams params(Qwen2VL model) {
        SamplingParams.Builder b = model.defaultParams().toBuilder().maxNewTokens(maxTokens);
        if (greedy) return b.greedy(true).build();
        return b.greedy(false).temperature(temperature).topK(topK).topP(topP).seed(seed).build();
    }
}
