package qwen2vl4j.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import java.util.List;
import qwen2vl4j.generate.SamplingParams;

/**
 * Reads a request's merged {@link ChatRequestParameters}: refuses what Qwen2-VL cannot do (tools, a JSON response
 * format, another model's name) with LangChain4j's {@link UnsupportedFeatureException}, checks every value's range
 * ({@link InvalidRequestException} naming the parameter and the range), and turns the rest into the core library's
 * {@link SamplingParams} on top of the model's {@code generation_config.json} defaults.
 */
final class RequestParameters {
    private RequestParameters() {}

    /** The pixel bounds a request sets (each null when not set). */
    record Pixels(Long minPixels, Long maxPixels) {}

    /**
     * Refuses the features this model lacks.
     *
     * @param modelName this model's name; a request naming another model is refused
     */
    static void checkSupported(ChatRequestParameters p, String modelName) {
        List<ToolSpecification> tools = p.toolSpecifications();
        if (tools != null && !tools.isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported by " + modelName + " (Qwen2-VL has no tool calling): the request has "
                    + tools.size() + " tool specification(s) " + tools.stream().map(ToolSpecification::name).toList()
                    + "; remove the tools from the request or the AI service");
        }
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("toolChoice REQUIRED is not supported by " + modelName + " (Qwen2-VL has no tool calling)");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("the JSON response format" + (p.responseFormat().jsonSchema() != null ? " (with a JSON schema)" : "")
                    + " is not supported by " + modelName + ": Qwen2-VL's answers are not constrained to JSON; ask for text");
        }
        if (p.modelName() != null && !p.modelName().equals(modelName)) {
            throw new UnsupportedFeatureException("modelName '" + p.modelName() + "' is not served here: this chat model runs only '"
                    + modelName + "'; leave modelName unset or use '" + modelName + "'");
        }
    }

    /** The pixel bounds of {@code p}, checked: each at least one visual token (784 pixels), min not above max. */
    static Pixels pixels(ChatRequestParameters p) {
        if (!(p instanceof Qwen2VLChatRequestParameters q)) return new Pixels(null, null);
        Long min = q.minPixels(), max = q.maxPixels();
        if (min != null) check(min >= PixelBudget.PIXELS_PER_TOKEN, "minPixels", "at least " + PixelBudget.PIXELS_PER_TOKEN + " (one 28 x 28 visual token)", min);
        if (max != null) check(max >= PixelBudget.PIXELS_PER_TOKEN, "maxPixels", "at least " + PixelBudget.PIXELS_PER_TOKEN + " (one 28 x 28 visual token)", max);
        if (min != null && max != null && min > max) {
            throw new InvalidRequestException("minPixels " + min + " is larger than maxPixels " + max);
        }
        return new Pixels(min, max);
    }

    /**
     * The sampling parameters of {@code p} over {@code defaults}: {@code temperature} 0 is greedy decoding, above 0
     * sampling; unset fields keep the defaults.
     */
    static SamplingParams sampling(ChatRequestParameters p, SamplingParams defaults) {
        SamplingParams.Builder b = defaults.toBuilder();
        Double temperature = p.temperature();
        if (temperature != null) {
            check(Double.isFinite(temperature) && temperature >= 0 && temperature <= 2, "temperature", "in [0, 2] (0 = greedy)", temperature);
            check(temperature == 0 || temperature >= SamplingParams.MIN_TEMPERATURE, "temperature", "0 (greedy) or in ["
                    + SamplingParams.MIN_TEMPERATURE + ", 2]", temperature);
            b.greedy(temperature == 0).temperature(temperature);
        }
        if (p.topP() != null) {
            check(p.topP() > 0 && p.topP() <= 1, "topP", "in (0, 1] (1 = disabled)", p.topP());
            b.topP(p.topP());
        }
        if (p.topK() != null) {
            check(p.topK() >= 0, "topK", ">= 0 (0 = disabled)", p.topK());
            b.topK(p.topK());
        }
        if (p.maxOutputTokens() != null) {
            check(p.maxOutputTokens() >= 1, "maxOutputTokens", ">= 1", p.maxOutputTokens());
            b.maxNewTokens(p.maxOutputTokens());
        }
        if (p.frequencyPenalty() != null) {
            check(p.frequencyPenalty() >= -2 && p.frequencyPenalty() <= 2, "frequencyPenalty", "in [-2, 2] (0 = disabled)", p.frequencyPenalty());
            b.frequencyPenalty(p.frequencyPenalty());
        }
        if (p.presencePenalty() != null) {
            check(p.presencePenalty() >= -2 && p.presencePenalty() <= 2, "presencePenalty", "in [-2, 2] (0 = disabled)", p.presencePenalty());
            b.presencePenalty(p.presencePenalty());
        }
        List<String> stop = p.stopSequences();
        if (stop != null && !stop.isEmpty()) {
            for (int i = 0; i < stop.size(); i++) {
                String s = stop.get(i);
                check(s != null && !s.isEmpty(), "stopSequences[" + i + "]", "a non-empty string", s == null ? "null" : "\"\"");
            }
            b.stopStrings(stop);
        }
        if (p instanceof Qwen2VLChatRequestParameters q) {
            if (q.seed() != null) b.seed(q.seed());
            if (q.repetitionPenalty() != null) {
                check(q.repetitionPenalty() >= SamplingParams.MIN_REPETITION_PENALTY && q.repetitionPenalty() <= SamplingParams.MAX_REPETITION_PENALTY,
                        "repetitionPenalty", "in [" + SamplingParams.MIN_REPETITION_PENALTY + ", " + (int) SamplingParams.MAX_REPETITION_PENALTY
                                + "] (1 = disabled)", q.repetitionPenalty());
                b.repetitionPenalty(q.repetitionPenalty());
            }
            if (q.minP() != null) {
                check(q.minP() >= 0 && q.minP() <= 1, "minP", "in [0, 1] (0 = disabled)", q.minP());
                b.minP(q.minP());
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("invalid parameters: " + e.getMessage(), e);
        }
    }

    private static void check(boolean ok, String parameter, String range, Object found) {
        if (!ok) throw new InvalidRequestException(parameter + " must be " + range + ", found " + found);
    }
}
