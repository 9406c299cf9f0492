package qwen2vl4j.generate;

/**
 * A model as the generation loop sees it: the logits of the last prompt position, then the logits after each
 * token fed back. The generator processes the returned arrays in place; a source may reuse one buffer between
 * calls. Implementations hold per-generation state (the KV cache) and are used by one thread.
 */
public interface LogitsSource {
    /** Runs the prompt; returns the vocabulary-sized logits of its last position. */
    float[] prefill();

    /** Appends {@code tokenId}; returns the logits for the position after it. */
    float[] next(int tokenId);
}
