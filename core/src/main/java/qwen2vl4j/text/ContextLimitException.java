package qwen2vl4j.text;

/** A request would make the context longer than the model's {@code max_position_embeddings}. */
public final class ContextLimitException extends RuntimeException {
    private final int limit;
    private final long requested;

    public ContextLimitException(int limit, long requested) {
        super("context of " + requested + " tokens exceeds the model's limit of " + limit + " tokens (max_position_embeddings)");
        this.limit = limit;
        this.requested = requested;
    }

    /** The model's context limit in tokens. */
    public int limit() {
        return limit;
    }

    /** The context length the request needed. */
    public long requested() {
        return requested;
    }
}
