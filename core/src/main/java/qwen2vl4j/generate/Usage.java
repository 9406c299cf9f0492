package qwen2vl4j.generate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token counts of one generation. {@code promptTokens} includes the image and video placeholder tokens,
 * which {@code imageTokens} and {@code videoTokens} count separately; {@code totalTokens = promptTokens +
 * completionTokens}; {@code cachedTokens} of the prompt's tokens were taken from a prompt cache (not run again).
 */
public record Usage(int promptTokens, int imageTokens, int videoTokens, int completionTokens, int totalTokens, int cachedTokens) {

    public Usage {
        if (cachedTokens < 0 || cachedTokens > promptTokens) {
            throw new IllegalArgumentException("cachedTokens must be in [0, promptTokens = " + promptTokens + "], found " + cachedTokens);
        }
        if (promptTokens < 0 || imageTokens < 0 || videoTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, found prompt " + promptTokens + ", image " + imageTokens
                    + ", video " + videoTokens + ", completion " + completionTokens);
        }
        if (imageTokens + videoTokens > promptTokens) {
            throw new IllegalArgumentException("imageTokens + videoTokens (" + (imageTokens + videoTokens)
                    + ") must not exceed promptTokens (" + promptTokens + ")");
        }
        if (totalTokens != promptTokens + completionTokens) {
            throw new IllegalArgumentException("totalTokens must be promptTokens + completionTokens = "
                    + (promptTokens + completionTokens) + ", found " + totalTokens);
        }
    }

    /** Counts of a prompt run whole (no token from a cache). */
    public Usage(int promptTokens, int imageTokens, int videoTokens, int completionTokens, int totalTokens) {
        this(promptTokens, imageTokens, videoTokens, completionTokens, totalTokens, 0);
    }

    /** Counts without image or video tokens. */
    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, 0, 0, completionTokens, promptTokens + completionTokens);
    }

    /** The same counts with the image and video placeholder tokens of the prompt set. */
    public Usage withMediaTokens(int imageTokens, int videoTokens) {
        return new Usage(promptTokens, imageTokens, videoTokens, completionTokens, totalTokens, cachedTokens);
    }

    /** The same counts with {@code cachedTokens} of the prompt taken from a prompt cache. */
    public Usage withCachedTokens(int cachedTokens) {
        return new Usage(promptTokens, imageTokens, videoTokens, completionTokens, totalTokens, cachedTokens);
    }

    /** snake_case map for JSON output (OpenAI's usage names plus image/video counts). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_tokens", promptTokens);
        m.put("image_tokens", imageTokens);
        m.put("video_tokens", videoTokens);
        m.put("completion_tokens", completionTokens);
        m.put("total_tokens", totalTokens);
        if (cachedTokens > 0) m.put("cached_tokens", cachedTokens);
        return m;
    }
}
