package qwen2vl4j.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.List;
import java.util.Objects;
import qwen2vl4j.grounding.Box;

/**
 * LangChain4j's response metadata plus what Qwen2-VL adds: the grounding boxes of the answer and the visual tokens
 * of the prompt, and the prompt tokens taken from the prompt cache. {@link #tokenUsage()}'s input count already
 * includes {@link #imageTokens()}, {@link #videoTokens()} and {@link #cachedTokens()}.
 *
 * <pre>{@code
 * ChatResponse response = model.chat(request);
 * List<Box> boxes = ((Qwen2VLChatResponseMetadata) response.metadata()).boxes();
 * }</pre>
 */
public class Qwen2VLChatResponseMetadata extends ChatResponseMetadata {
    private final List<Box> boxes;
    private final int imageTokens;
    private final int videoTokens;
    private final int cachedTokens;

    protected Qwen2VLChatResponseMetadata(Builder builder) {
        super(builder);
        this.boxes = builder.boxes == null ? List.of() : List.copyOf(builder.boxes);
        this.imageTokens = builder.imageTokens;
        this.videoTokens = builder.videoTokens;
        this.cachedTokens = builder.cachedTokens;
    }

    /**
     * The boxes the answer points at ({@code <|box_start|>(x1,y1),(x2,y2)<|box_end|>}), with the label of the
     * reference before each: in pixels of the conversation's first image as given (before resizing), or on
     * Qwen2-VL's 0–1000 grid when the conversation has no image. Empty when the answer has none.
     */
    public List<Box> boxes() {
        return boxes;
    }

    /** Prompt tokens standing for images (part of the input token count). */
    public int imageTokens() {
        return imageTokens;
    }

    /** Prompt tokens standing for videos (part of the input token count). */
    public int videoTokens() {
        return videoTokens;
    }

    /** Prompt tokens taken from the prompt cache: an earlier request's start, neither encoded nor prefilled again. */
    public int cachedTokens() {
        return cachedTokens;
    }

    @Override
    public Builder toBuilder() {
        Builder b = builder().boxes(boxes).imageTokens(imageTokens).videoTokens(videoTokens).cachedTokens(cachedTokens);
        super.toBuilder(b);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!super.equals(o)) return false;
        Qwen2VLChatResponseMetadata that = (Qwen2VLChatResponseMetadata) o;
        return imageTokens == that.imageTokens && videoTokens == that.videoTokens && cachedTokens == that.cachedTokens
                && boxes.equals(that.boxes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), boxes, imageTokens, videoTokens, cachedTokens);
    }

    @Override
    public String toString() {
        return "Qwen2VLChatResponseMetadata{id='" + id() + "', modelName='" + modelName() + "', tokenUsage=" + tokenUsage()
                + ", finishReason=" + finishReason() + ", imageTokens=" + imageTokens + ", videoTokens=" + videoTokens
                + ", cachedTokens=" + cachedTokens + ", boxes=" + boxes + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends ChatResponseMetadata.Builder<Builder> {
        private List<Box> boxes;
        private int imageTokens;
        private int videoTokens;
        private int cachedTokens;

        public Builder boxes(List<Box> boxes) {
            this.boxes = boxes;
            return this;
        }

        public Builder imageTokens(int imageTokens) {
            this.imageTokens = imageTokens;
            return this;
        }

        public Builder videoTokens(int videoTokens) {
            this.videoTokens = videoTokens;
            return this;
        }

        public Builder cachedTokens(int cachedTokens) {
            this.cachedTokens = cachedTokens;
            return this;
        }

        @Override
        public Qwen2VLChatResponseMetadata build() {
            return new Qwen2VLChatResponseMetadata(this);
        }
    }
}
