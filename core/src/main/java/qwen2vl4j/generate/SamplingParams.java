package qwen2vl4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import qwen2vl4j.config.GenerationConfig;

/**
 * How to pick each next token and when to stop: an immutable, validated set of decoding options.
 *
 * <p>Token choice: {@code greedy} (or {@code temperature == 0}) takes the arg-max of the penalised
 * logits; otherwise the logits go through temperature, top-k, top-p and min-p and a token is drawn from
 * the softmax (see {@link LogitsProcessors#apply}). Penalties apply in both modes, as in transformers.
 *
 * <p>Stopping: a generated token in {@code eosTokenIds} (unless {@code ignoreEos}) or in
 * {@code stopTokenIds}, a stop string in the decoded text, or {@code maxNewTokens} tokens.
 *
 * @param greedy            arg-max decoding; the sampling warpers (temperature, top-k, top-p, min-p) are then unused
 * @param temperature       divides the logits; {@code >= 0}, 0 means greedy
 * @param topK              keep the k highest logits (ties with the k-th kept); 0 disables
 * @param topP              nucleus sampling mass in (0, 1]; 1 disables
 * @param minP              drop tokens whose probability is below minP × the top probability, in [0, 1]; 0 disables
 * @param repetitionPenalty transformers' multiplicative penalty on every token already in prompt or output; 1 disables
 * @param presencePenalty   OpenAI additive penalty for tokens already generated, in [-2, 2]; 0 disables
 * @param frequencyPenalty  OpenAI additive penalty per previous occurrence in the generated tokens, in [-2, 2]; 0 disables
 * @param seed              seed of the sampling random generator; {@code null} for a random seed
 * @param maxNewTokens      most tokens to generate, {@code >= 1}
 * @param stopStrings       texts that end generation; the returned text stops before the first one found
 * @param ignoreEos         keep generating past {@code eosTokenIds}
 * @param eosTokenIds       the model's end-of-sequence ids (from generation_config.json)
 * @param stopTokenIds      extra ids that end generation even when {@code ignoreEos} is set
 */
public record SamplingParams(
        boolean greedy,
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Long seed,
        int maxNewTokens,
        List<String> stopStrings,
        boolean ignoreEos,
        List<Integer> eosTokenIds,
        List<Integer> stopTokenIds) {

    /** Used when neither the caller nor generation_config.json gives {@code max_new_tokens}. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 512;

    /**
     * The smallest temperature that samples (vLLM's limit): below it the draw is the arg-max anyway, and float logits
     * divided by a far smaller one overflow. 0, or {@code greedy}, decodes greedily.
     */
    public static final double MIN_TEMPERATURE = 1e-5;
    /** The repetition penalty's range: float logits divided or multiplied by a value outside it overflow or vanish. */
    public static final double MIN_REPETITION_PENALTY = 0.01, MAX_REPETITION_PENALTY = 100;

    /** Greedy decoding, no penalties, no EOS ids, {@link #DEFAULT_MAX_NEW_TOKENS}. */
    public static final SamplingParams GREEDY = builder().build();

    /** Validates every field; throws {@link IllegalArgumentException} naming the first bad one. */
    public SamplingParams {
        check(Double.isFinite(temperature) && temperature >= 0, "temperature", "a finite number >= 0 (0 = greedy)", temperature);
        check(greedy || temperature == 0 || temperature >= MIN_TEMPERATURE, "temperature", "0 (greedy) or at least " + MIN_TEMPERATURE, temperature);
        check(topK >= 0, "topK", ">= 0 (0 = disabled)", topK);
        check(topP > 0 && topP <= 1, "topP", "in (0, 1]", topP);
        check(minP >= 0 && minP <= 1, "minP", "in [0, 1] (0 = disabled)", minP);
        check(repetitionPenalty >= MIN_REPETITION_PENALTY && repetitionPenalty <= MAX_REPETITION_PENALTY, "repetitionPenalty",
                "in [" + MIN_REPETITION_PENALTY + ", " + (int) MAX_REPETITION_PENALTY + "] (1 = disabled)", repetitionPenalty);
        check(presencePenalty >= -2 && presencePenalty <= 2, "presencePenalty", "in [-2, 2]", presencePenalty);
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequencyPenalty", "in [-2, 2]", frequencyPenalty);
        check(maxNewTokens >= 1, "maxNewTokens", ">= 1", maxNewTokens);
        stopStrings = copyStopStrings(stopStrings);
        eosTokenIds = copyIds("eosTokenIds", eosTokenIds);
        stopTokenIds = copyIds("stopTokenIds", stopTokenIds);
    }

    /** A builder starting from {@link #GREEDY}'s values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this record's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** These parameters with {@code maxNewTokens} cut to {@code limit} (the room left in a context) where it is larger. */
    public SamplingParams withMaxNewTokensAtMost(int limit) {
        return maxNewTokens > limit ? toBuilder().maxNewTokens(limit).build() : this;
    }

    /**
     * The defaults a model's generation_config.json implies, as transformers applies them: {@code do_sample=false}
     * is greedy decoding (temperature, top-k, top-p, min-p kept but unused); {@code do_sample=true} samples with the
     * file's temperature / top_k (transformers' default 50) / top_p / min_p. Qwen2-VL-2B-Instruct's file
     * (do_sample, top_k 1, top_p 0.001, temperature 0.01) therefore samples from a single token: effectively greedy.
     * The repetition penalty applies in both modes; {@code max_new_tokens} defaults to {@link #DEFAULT_MAX_NEW_TOKENS}
     * (transformers' {@code max_length=20}, which counts the prompt, is not imitated).
     *
     * @throws IllegalArgumentException naming generation_config.json and the field when a value is out of range
     */
    public static SamplingParams from(GenerationConfig config) {
        Objects.requireNonNull(config, "config");
        List<Integer> eos = new ArrayList<>();
        if (config.eosTokenIds() != null) for (int id : config.eosTokenIds()) eos.add(id);
        try {
            return builder()
                    .greedy(!config.doSample())
                    .temperature(config.temperature())
                    .topK(config.topK())
                    .topP(config.topP())
                    .minP(config.minP())
                    .repetitionPenalty(config.repetitionPenalty())
                    .maxNewTokens(config.maxNewTokens() == null ? DEFAULT_MAX_NEW_TOKENS : config.maxNewTokens())
                    .eosTokenIds(eos)
                    .build();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> field : FILE_FIELDS.entrySet()) {   // the file's names, not this record's
                String java = field.getKey();
                if (message.startsWith(java + " ") || message.startsWith(java + "[")) {
                    message = field.getValue() + message.substring(java.length());
                    break;
                }
            }
            throw new IllegalArgumentException("generation_config.json: " + message, e);
        }
    }

    /** This record's fields that {@link #from} fills, by their names in generation_config.json. */
    private static final Map<String, String> FILE_FIELDS = Map.of("topK", "top_k", "topP", "top_p", "minP", "min_p",
            "repetitionPenalty", "repetition_penalty", "maxNewTokens", "max_new_tokens", "eosTokenIds", "eos_token_id");

    /** True when tokens are drawn at random: not {@link #greedy} and a temperature above 0. */
    public boolean sampling() {
        return !greedy && temperature > 0;
    }

    /** Whether {@code id} ends generation by itself (EOS unless ignored, or a stop token id). */
    public boolean isStopToken(int id) {
        return stopTokenIds.contains(id) || (!ignoreEos && eosTokenIds.contains(id));
    }

    private static void check(boolean ok, String field, String expected, Object found) {
        if (!ok) throw new IllegalArgumentException(field + " must be " + expected + ", found " + found);
    }

    private static List<String> copyStopStrings(List<String> strings) {
        if (strings == null) return List.of();
        for (int i = 0; i < strings.size(); i++) {
            String s = strings.get(i);
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stopStrings[" + i + "] must be a non-empty string, found " + (s == null ? "null" : "\"\""));
            }
        }
        return List.copyOf(strings);
    }

    private static List<Integer> copyIds(String field, List<Integer> ids) {
        if (ids == null) return List.of();
        for (int i = 0; i < ids.size(); i++) {
            Integer id = ids.get(i);
            if (id == null || id < 0) throw new IllegalArgumentException(field + "[" + i + "] must be a token id >= 0, found " + id);
        }
        return List.copyOf(ids);
    }

    /** Mutable builder for {@link SamplingParams}; {@link #build()} validates. */
    public static final class Builder {
        private boolean greedy = true;
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0.0;
        private double repetitionPenalty = 1.0;
        private double presencePenalty = 0.0;
        private double frequencyPenalty = 0.0;
        private Long seed = null;
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private List<String> stopStrings = List.of();
        private boolean ignoreEos = false;
        private List<Integer> eosTokenIds = List.of();
        private List<Integer> stopTokenIds = List.of();

        private Builder() {}

        private Builder(SamplingParams p) {
            greedy = p.greedy;
            temperature = p.temperature;
            topK = p.topK;
            topP = p.topP;
            minP = p.minP;
            repetitionPenalty = p.repetitionPenalty;
            presencePenalty = p.presencePenalty;
            frequencyPenalty = p.frequencyPenalty;
            seed = p.seed;
            maxNewTokens = p.maxNewTokens;
            stopStrings = p.stopStrings;
            ignoreEos = p.ignoreEos;
            eosTokenIds = p.eosTokenIds;
            stopTokenIds = p.stopTokenIds;
        }

        public Builder greedy(boolean v) { greedy = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder stopStrings(List<String> v) { stopStrings = v; return this; }
        public Builder stopStrings(String... v) { stopStrings = Arrays.asList(v); return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder eosTokenIds(List<Integer> v) { eosTokenIds = v; return this; }
        public Builder stopTokenIds(List<Integer> v) { stopTokenIds = v; return this; }

        /** Turns sampling on (greedy off) with the given temperature. */
        public Builder sample(double temperature) { greedy = false; this.temperature = temperature; return this; }

        /** Validates and builds. */
        public SamplingParams build() {
            return new SamplingParams(greedy, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                    frequencyPenalty, seed, maxNewTokens, stopStrings, ignoreEos, eosTokenIds, stopTokenIds);
        }
    }
}
