package qwen2vl4j.generate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock times of the stages of one request, in milliseconds, and the resulting throughputs.
 * The generator fills prefill and decode; loading, preprocessing and the vision tower are added by the caller
 * ({@link #withStages}). Decode throughput counts decode steps (tokens fed back to the model), so a one-token
 * answer has none.
 *
 * @param prefillTokensPerSecond prompt tokens / prefill seconds
 * @param decodeTokensPerSecond  decode steps / decode seconds
 */
public record Timings(
        double loadMillis,
        double preprocessMillis,
        double visionMillis,
        double prefillMillis,
        double decodeMillis,
        double prefillTokensPerSecond,
        double decodeTokensPerSecond) {

    /** Prefill and decode times with their rates; the other stages 0. */
    public static Timings of(double prefillMillis, int promptTokens, double decodeMillis, int decodeSteps) {
        return new Timings(0, 0, 0, prefillMillis, decodeMillis, rate(promptTokens, prefillMillis), rate(decodeSteps, decodeMillis));
    }

    /** These timings with the load, preprocessing and vision stages set. */
    public Timings withStages(double loadMillis, double preprocessMillis, double visionMillis) {
        return new Timings(loadMillis, preprocessMillis, visionMillis, prefillMillis, decodeMillis, prefillTokensPerSecond, decodeTokensPerSecond);
    }

    /** snake_case map for JSON output. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("load_ms", loadMillis);
        m.put("preprocess_ms", preprocessMillis);
        m.put("vision_ms", visionMillis);
        m.put("prefill_ms", prefillMillis);
        m.put("decode_ms", decodeMillis);
        m.put("prefill_tokens_per_second", prefillTokensPerSecond);
        m.put("decode_tokens_per_second", decodeTokensPerSecond);
        return m;
    }

    private static double rate(int tokens, double millis) {
        return tokens == 0 || millis <= 0 ? 0.0 : tokens * 1000.0 / millis;
    }
}
