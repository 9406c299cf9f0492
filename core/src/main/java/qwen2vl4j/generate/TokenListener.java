package qwen2vl4j.generate;

/**
 * Receives each generated token as it is produced. Concatenating every {@code textDelta} gives exactly the
 * final {@link GenerationResult#text()}: end tokens add no text, text that might start a stop string is held
 * back until it is known not to, and the text from a stop string on is never delivered.
 */
@FunctionalInterface
public interface TokenListener {
    /** A listener that ignores everything. */
    TokenListener NONE = (id, textDelta) -> {};

    /** Called once per generated token, in order, on the generating thread. */
    void onToken(int id, String textDelta);
}
