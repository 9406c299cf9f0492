package qwen2vl4j.langchain4j;

import dev.langchain4j.data.message.ImageContent.DetailLevel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many pixels, hence visual tokens, an image may cost. Qwen2-VL resizes every image, keeping its aspect ratio,
 * to whole 28 × 28 squares within a pixel budget; each square is one visual token (784 pixels). The vision tower's
 * time grows faster than linearly with the token count, so the budget is the main cost of an image on a CPU.
 *
 * <p>An {@link dev.langchain4j.data.message.ImageContent ImageContent}'s {@link DetailLevel} picks the largest budget
 * (the smallest is the model's, 3,136 pixels = 4 tokens for Qwen2-VL-2B):
 *
 * <table>
 *   <caption>DetailLevel → pixel budget</caption>
 *   <tr><th>DetailLevel</th><th>max pixels</th><th>visual tokens at most</th><th>e.g.</th></tr>
 *   <tr><td>LOW (LangChain4j's default)</td><td>200,704</td><td>256</td><td>448 × 448; cheap on a CPU</td></tr>
 *   <tr><td>MEDIUM</td><td>401,408</td><td>512</td><td>about 630 × 630</td></tr>
 *   <tr><td>HIGH</td><td>1,003,520</td><td>1,280</td><td>about 1000 × 1000; grounding and OCR (Qwen's recommended budget)</td></tr>
 *   <tr><td>ULTRA_HIGH</td><td>12,845,056</td><td>16,384</td><td>Qwen2-VL's full range; slow on a CPU</td></tr>
 *   <tr><td>AUTO</td><td colspan="3">the model's own budget: {@code preprocessor_config.json} (or {@code LoadOptions}'
 *       min/max pixels), exactly as Hugging Face's processor</td></tr>
 * </table>
 *
 * <p>A request's (or the model builder's) {@code minPixels} / {@code maxPixels} replace these bounds for every image of
 * the request: {@code maxPixels} replaces the level's maximum; {@code minPixels} alone raises the level's maximum
 * to at least itself. The budget reaches the core library as the image part's {@code min_pixels} / {@code max_pixels}
 * options ({@link qwen2vl4j.chat.ContentPart.Image}), as qwen-vl-utils reads them from a message.
 */
public final class PixelBudget {
    /** Pixels per visual token: one 28 × 28 square (a 2 × 2 merge of 14-pixel patches). */
    public static final long PIXELS_PER_TOKEN = 28 * 28;
    /** {@link DetailLevel#LOW}: at most 256 visual tokens. */
    public static final long LOW_MAX_PIXELS = 256 * PIXELS_PER_TOKEN;
    /** {@link DetailLevel#MEDIUM}: at most 512 visual tokens. */
    public static final long MEDIUM_MAX_PIXELS = 512 * PIXELS_PER_TOKEN;
    /** {@link DetailLevel#HIGH}: at most 1,280 visual tokens. */
    public static final long HIGH_MAX_PIXELS = 1280 * PIXELS_PER_TOKEN;
    /** {@link DetailLevel#ULTRA_HIGH}: at most 16,384 visual tokens. */
    public static final long ULTRA_HIGH_MAX_PIXELS = 16384 * PIXELS_PER_TOKEN;

    private PixelBudget() {}

    /** The largest budget of {@code level}, in pixels; null for {@link DetailLevel#AUTO} (the model's own). */
    public static Long maxPixels(DetailLevel level) {
        return switch (level) {
            case LOW -> LOW_MAX_PIXELS;
            case MEDIUM -> MEDIUM_MAX_PIXELS;
            case HIGH -> HIGH_MAX_PIXELS;
            case ULTRA_HIGH -> ULTRA_HIGH_MAX_PIXELS;
            case AUTO -> null;
        };
    }

    /**
     * The image part options ({@code min_pixels}, {@code max_pixels}) for an image of {@code level} in a request whose
     * parameters set {@code minPixels} / {@code maxPixels} (each null when not set); empty for the model's own budget.
     */
    static Map<String, Object> imageOptions(DetailLevel level, Long minPixels, Long maxPixels) {
        Map<String, Object> options = new LinkedHashMap<>();
        Long max = maxPixels != null ? maxPixels : maxPixels(level);
        if (max != null && minPixels != null && maxPixels == null) max = Math.max(max, minPixels);
        if (minPixels != null) options.put("min_pixels", minPixels);
        if (max != null) options.put("max_pixels", max);
        return options;
    }
}
