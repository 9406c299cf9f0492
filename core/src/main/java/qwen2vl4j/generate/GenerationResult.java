package qwen2vl4j.generate;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one generation.
 *
 * @param ids          generated ids, the end token included when one stopped the generation (as transformers)
 * @param text         decoded text, without end tokens and cut before a stop string
 * @param finishReason why it ended
 * @param usage        token counts
 * @param timings      stage times
 */
public record GenerationResult(int[] ids, String text, FinishReason finishReason, Usage usage, Timings timings) {

    public GenerationResult {
        ids = ids.clone();
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(timings, "timings");
    }

    /** A copy of the generated ids. */
    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** This result with other usage counts (e.g. image and video tokens added by the caller). */
    public GenerationResult withUsage(Usage usage) {
        return new GenerationResult(ids, text, finishReason, usage, timings);
    }

    /** This result with other timings (e.g. load and vision stages added by the caller). */
    public GenerationResult withTimings(Timings timings) {
        return new GenerationResult(ids, text, finishReason, usage, timings);
    }

    /** snake_case map for JSON output: ids, text, finish_reason ("stop" / "length"), usage, timings. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ids", ids.clone());
        m.put("text", text);
        m.put("finish_reason", finishReason.openAiName());
        m.put("usage", usage.toMap());
        m.put("timings", timings.toMap());
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && Arrays.equals(ids, r.ids) && text.equals(r.text)
                && finishReason == r.finishReason && usage.equals(r.usage) && timings.equals(r.timings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ids), text, finishReason, usage, timings);
    }

    @Override
    public String toString() {
        return "GenerationResult[ids=" + Arrays.toString(ids) + ", text=" + text + ", finishReason=" + finishReason
                + ", usage=" + usage + ", timings=" + timings + "]";
    }
}
