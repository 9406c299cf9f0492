package qwen2vl4j.cli;

import java.util.List;
import picocli.CommandLine.Option;
import qwen2vl4j.generate.SamplingParams;

/**
 * The decoding flags shared by {@code run} and {@code chat}. Unset flags keep the model's defaults
 * (generation_config.json); {@code --greedy} switches to arg-max decoding with no repetition penalty
 * unless {@code --repetition-penalty} is given too.
 */
public final class SamplingOptions {
    @Option(names = "--max-tokens", paramLabel = "N",
            description = "most tokens to generate (default: generation_config's max_new_tokens, else 512)")
    Integer maxTokens;

    @Option(names = "--greedy", description = "arg-max decoding, repetition penalty 1 unless --repetition-penalty is given")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = {"sample with this temperature (0 = greedy); sampling flags not given keep generation_config.json's",
                    "values (Qwen2-VL-2B-Instruct: top_k 1, top_p 0.001, so add --top-k 0 --top-p 1 for varied output)"})
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "sample among the K most likely tokens (0 = all)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass in (0, 1] (1 = off)")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "drop tokens below P x the top probability (0 = off)")
    Double minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "penalty on tokens already seen (1 = off)")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "seed that makes sampling reproducible")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR", description = "stop when the answer contains STR (repeatable)")
    List<String> stop;

    @Option(names = "--ignore-eos", description = "keep generating past end-of-sequence tokens")
    boolean ignoreEos;

    /** Checks the flags on their own, before a model is loaded; the same errors as {@link #apply}. */
    public void validate() {
        apply(SamplingParams.GREEDY);
    }

    /**
     * {@code defaults} with the given flags applied.
     *
     * @throws IllegalArgumentException naming the flag for a bad value or for {@code --greedy} with a sampling flag
     */
    public SamplingParams apply(SamplingParams defaults) {
        boolean samplingFlag = temperature != null || topK != null || topP != null || minP != null || seed != null;
        if (greedy && samplingFlag) {
            throw new IllegalArgumentException("--greedy cannot be combined with --temperature, --top-k, --top-p, --min-p or --seed");
        }
        if (maxTokens != null && maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, found " + maxTokens);
        SamplingParams.Builder b = defaults.toBuilder();
        if (greedy) b.greedy(true).repetitionPenalty(1.0);
        else if (samplingFlag) b.greedy(false);
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (minP != null) b.minP(minP);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        if (seed != null) b.seed(seed);
        if (maxTokens != null) b.maxNewTokens(maxTokens);
        if (stop != null) b.stopStrings(stop);
        if (ignoreEos) b.ignoreEos(true);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sampling options: " + flagNames(e.getMessage()), e);
        }
    }

    /** SamplingParams names fields in camelCase; the user typed flags. */
    private static String flagNames(String message) {
        return message.replace("temperature", "--temperature").replace("topK", "--top-k").replace("topP", "--top-p")
                .replace("minP", "--min-p").replace("repetitionPenalty", "--repetition-penalty")
                .replace("maxNewTokens", "--max-tokens").replace("stopStrings", "--stop");
    }
}
