package qwen2vl4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import qwen2vl4j.io.Json;

/**
 * generation_config.json: the defaults a generation starts from. A folder without the file
 * gets transformers' defaults (greedy, no penalty).
 */
public record GenerationConfig(
        boolean doSample,
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        int[] eosTokenIds,
        Integer padTokenId,
        Integer maxNewTokens) {

    public static GenerationConfig defaults(int[] eos) {
        return new GenerationConfig(false, 1.0, 50, 1.0, 0.0, 1.0, eos, null, null);
    }

    /** Reads generation_config.json of {@code modelDir}; {@code fallbackEos} when the file names none. */
    public static GenerationConfig load(Path modelDir, int[] fallbackEos) {
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) return defaults(fallbackEos);
        JsonNode n = Json.read(file);
        ConfigFields f = new ConfigFields(file);
        if (!n.isObject()) throw f.error("expected a JSON object");
        int[] eos = f.intList("eos_token_id", n);
        JsonNode pad = ConfigFields.first("pad_token_id", n);
        JsonNode maxNew = ConfigFields.first("max_new_tokens", n);
        return new GenerationConfig(
                f.boolField("do_sample", false, n),
                f.doubleField("temperature", 1.0, n),
                f.intField("top_k", 50, n),
                f.doubleField("top_p", 1.0, n),
                f.doubleField("min_p", 0.0, n),
                f.doubleField("repetition_penalty", 1.0, n),
                eos.length == 0 ? fallbackEos : eos,
                pad == null ? null : f.intField("pad_token_id", 0, n),
                maxNew == null ? null : f.intField("max_new_tokens", 0, n));
    }
}
