package qwen2vl4j.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link LayerObserver} that keeps what a prefill showed it, for parity checks: Hugging Face's
 * {@code hidden_states} of all new tokens and the logits of every position, pieces joined.
 */
public final class PrefillRecorder implements LayerObserver {
    private final int hidden;
    private final int vocab;
    private final int tokens;
    private final List<float[]> states = new ArrayList<>();
    private final float[] logits;

    /** A recorder for a prefill of {@code tokens} new tokens through {@code model}. */
    public PrefillRecorder(TextModel model, int tokens) {
        this.hidden = model.config().hiddenSize();
        this.vocab = model.config().vocabSize();
        this.tokens = tokens;
        this.logits = new float[Math.multiplyExact(tokens, vocab)];
    }

    @Override
    public void hiddenStates(int index, int from, int rows, float[] x) {
        while (states.size() <= index) states.add(new float[tokens * hidden]);
        System.arraycopy(x, 0, states.get(index), from * hidden, rows * hidden);
    }

    @Override
    public void logits(int from, int rows, float[] l) {
        System.arraycopy(l, 0, logits, from * vocab, rows * vocab);
    }

    /** {@code hidden_states}: numHiddenLayers + 1 arrays {@code [tokens, hidden]}. */
    public List<float[]> hiddenStates() {
        return states;
    }

    /** Logits of every new token {@code [tokens, vocab]}. */
    public float[] allLogits() {
        return logits;
    }

    /** Logits of the last new token {@code [vocab]}. */
    public float[] lastLogits() {
        return Arrays.copyOfRange(logits, (tokens - 1) * vocab, tokens * vocab);
    }
}
