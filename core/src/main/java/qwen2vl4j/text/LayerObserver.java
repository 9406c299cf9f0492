package qwen2vl4j.text;

/**
 * Watches a prefill from inside (for parity tests against Hugging Face's {@code output_hidden_states=True} and
 * the logits of every position); a prefill without one computes only what generation needs. Arrays passed in
 * are the prefill's work arrays: valid during the call only, copy what you keep.
 */
@FunctionalInterface
public interface LayerObserver {
    /**
     * Hugging Face's {@code hidden_states[index]} ({@code Qwen2VLTextModel.forward}) for the new tokens
     * {@code [from, from + rows)} of the prefill: index 0 the input embeddings (vision rows merged), index
     * {@code l} (1 .. layers − 1) the output of layer {@code l − 1}, index {@code layers} the last layer's
     * output after the final norm.
     *
     * @param states {@code [rows, hidden]} row-major (longer arrays: the rest is scratch)
     */
    void hiddenStates(int index, int from, int rows, float[] states);

    /**
     * The logits {@code [rows, vocab]} of the new tokens {@code [from, from + rows)} (the LM head over every
     * position, not only the last).
     */
    default void logits(int from, int rows, float[] logits) {}
}
