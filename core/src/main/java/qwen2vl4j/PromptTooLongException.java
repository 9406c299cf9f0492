package qwen2vl4j;

/**
 * A prompt refused before its media were decoded: its visual tokens, computed from the image headers and the options,
 * exceed the processor's visual-token limit ({@link Qwen2VLProcessor#withMaxVisualTokens}). (A prompt over the context
 * is refused as the generation refuses it, with a {@link qwen2vl4j.text.ContextLimitException}, also before decoding.)
 */
public final class PromptTooLongException extends IllegalArgumentException {
    private final long promptTokens;
    private final long visualTokens;
    private final long limit;
    private final boolean visualLimit;

    PromptTooLongException(String message, long promptTokens, long visualTokens, long limit, boolean visualLimit) {
        super(message);
        this.promptTokens = promptTokens;
        this.visualTokens = visualTokens;
        this.limit = limit;
        this.visualLimit = visualLimit;
    }

    /** Tokens of the whole prompt as far as it was counted (text and visual). */
    public long promptTokens() {
        return promptTokens;
    }

    /** Visual (image and video) tokens counted. */
    public long visualTokens() {
        return visualTokens;
    }

    /** The limit passed: the context length, or the visual-token limit. */
    public long limit() {
        return limit;
    }

    /** True when the visual-token limit was passed; false when the context was. */
    public boolean isVisualLimit() {
        return visualLimit;
    }
}
