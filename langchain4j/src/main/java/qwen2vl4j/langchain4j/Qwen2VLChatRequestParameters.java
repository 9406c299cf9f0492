package qwen2vl4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's request parameters plus Qwen2-VL's own: the pixel budget of the request's images, the sampling
 * seed, transformers' repetition penalty and min-p. Every field may be null (not set): a request's parameters
 * override the model's defaults field by field ({@link #overrideWith}), and what neither sets keeps the model's
 * {@code generation_config.json} value.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .messages(UserMessage.from(ImageContent.from(base64, "image/png"), TextContent.from("Read the sign.")))
 *         .parameters(Qwen2VLChatRequestParameters.builder().maxPixels(1_003_520L).seed(7L).build())
 *         .build();
 * }</pre>
 *
 * <p>{@code minPixels} / {@code maxPixels}, when set, replace the bounds an image's
 * {@link dev.langchain4j.data.message.ImageContent.DetailLevel DetailLevel} implies, for every image of the request
 * (see {@link PixelBudget}).
 */
public class Qwen2VLChatRequestParameters extends DefaultChatRequestParameters {

    /** Nothing set. */
    public static final Qwen2VLChatRequestParameters EMPTY = builder().build();

    private final Long minPixels;
    private final Long maxPixels;
    private final Long seed;
    private final Double repetitionPenalty;
    private final Double minP;

    protected Qwen2VLChatRequestParameters(Builder builder) {
        super(builder);
        this.minPixels = builder.minPixels;
        this.maxPixels = builder.maxPixels;
        this.seed = builder.seed;
        this.repetitionPenalty = builder.repetitionPenalty;
        this.minP = builder.minP;
    }

    /** Fewest pixels an image is resized to (28 × 28 = 784 pixels per visual token); null when not set. */
    public Long minPixels() {
        return minPixels;
    }

    /** Most pixels an image is resized to (28 × 28 = 784 pixels per visual token); null when not set. */
    public Long maxPixels() {
        return maxPixels;
    }

    /** Seed of the sampling random generator; null for a random seed. */
    public Long seed() {
        return seed;
    }

    /** transformers' multiplicative repetition penalty, {@code > 0} (1 disables); null when not set. */
    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** Min-p sampling threshold in [0, 1] (0 disables); null when not set. */
    public Double minP() {
        return minP;
    }

    /** These parameters with every field {@code that} sets replaced by its value; Qwen2-VL's own fields are kept. */
    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    /** {@code that}'s parameters with every field these set replaced: these win, {@code that} fills the gaps. */
    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!super.equals(o)) return false;
        Qwen2VLChatRequestParameters that = (Qwen2VLChatRequestParameters) o;
        return Objects.equals(minPixels, that.minPixels) && Objects.equals(maxPixels, that.maxPixels)
                && Objects.equals(seed, that.seed) && Objects.equals(repetitionPenalty, that.repetitionPenalty)
                && Objects.equals(minP, that.minP);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), minPixels, maxPixels, seed, repetitionPenalty, minP);
    }

    @Override
    public String toString() {
        return "Qwen2VLChatRequestParameters{" + super.toString() + ", minPixels=" + minPixels + ", maxPixels=" + maxPixels
                + ", seed=" + seed + ", repetitionPenalty=" + repetitionPenalty + ", minP=" + minP + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link Qwen2VLChatRequestParameters}; ranges are checked when a request uses them. */
    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long minPixels;
        private Long maxPixels;
        private Long seed;
        private Double repetitionPenalty;
        private Double minP;

        /** Takes every field {@code parameters} sets (Qwen2-VL's own too when it is a {@link Qwen2VLChatRequestParameters}). */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) return this;
            super.overrideWith(parameters);
            if (parameters instanceof Qwen2VLChatRequestParameters q) {
                if (q.minPixels != null) minPixels = q.minPixels;
                if (q.maxPixels != null) maxPixels = q.maxPixels;
                if (q.seed != null) seed = q.seed;
                if (q.repetitionPenalty != null) repetitionPenalty = q.repetitionPenalty;
                if (q.minP != null) minP = q.minP;
            }
            return this;
        }

        public Builder minPixels(Long minPixels) {
            this.minPixels = minPixels;
            return this;
        }

        public Builder maxPixels(Long maxPixels) {
            this.maxPixels = maxPixels;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        @Override
        public Qwen2VLChatRequestParameters build() {
            return new Qwen2VLChatRequestParameters(this);
        }
    }
}
