package qwen2vl4j.text;

import java.util.List;

/**
 * Everything a prefill computed, for parity checks.
 *
 * @param lastLogits logits of the last new token {@code [vocab]}
 * @param allLogits  logits of every new token {@code [L, vocab]} row-major
 * @param hidden     HF's {@code hidden_states} of the new tokens, each {@code [L, hidden]}: after the embedding
 *                   (vision rows merged), after each layer but the last, and finally after the final norm
 *                   (numHiddenLayers + 1 arrays)
 */
public record PrefillResult(float[] lastLogits, float[] allLogits, List<float[]> hidden) {}
