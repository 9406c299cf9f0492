package qwen2vl4j.text;

import java.util.List;
import qwen2vl4j.config.TextConfig;

/**
 * Continuous batching's model step: one decode token for each of several sessions, run together. Every
 * projection, the MLP and the LM head multiply all rows at once (each weight row is read once per step instead
 * of once per session); attention stays per session, each row attending to its own KV cache. The result for each
 * session is the same as {@link TextSession#decode} (same arithmetic per row).
 */
public final class BatchDecoder {
    private BatchDecoder() {}

    /**
     * Feeds {@code tokens[i]} to {@code sessions.get(i)} (at its next text position, as {@link TextSession#decode})
     * and returns each session's logits {@code [vocab]}.
     *
     * @throws IllegalArgumentException when the sizes differ, a session appears twice or belongs to another model,
     *                                  or a token id is outside the vocabulary (no session is changed)
     * @throws ContextLimitException    when a session is full (no session is changed)
     */
    public static float[][] decode(TextModel model, List<TextSession> sessions, int[] tokens) {
        int n = sessions.size();
        if (tokens.length != n) {
            throw new IllegalArgumentException("decodeBatch: " + n + " sessions but " + tokens.length + " tokens");
        }
        if (n == 0) return new float[0][];
        TextConfig config = model.config();
        for (int i = 0; i < n; i++) {
            TextSession s = sessions.get(i);
            if (s.model() != model) throw new IllegalArgumentException("decodeBatch: session " + i + " belongs to another model");
            for (int j = 0; j < i; j++) {
                if (sessions.get(j) == s) throw new IllegalArgumentException("decodeBatch: session " + i + " is also session " + j);
            }
            s.checkDecodable(tokens[i]);
        }
        Buffers b = new Buffers(config, n, false);
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            TextSession s = sessions.get(i);
            b.place(i, s.cache(), s.length());                // row i: the next slot of session i's cache
            positions[i] = s.beginDecode();                   // at its next position on all three axes
            model.embed(tokens[i], b.x, i * b.hidden);        // x [n, hidden]
        }
        int[][] axes = {positions, positions, positions};
        model.rope().cosSin(axes, 0, n, b.cos, b.sin);        // cos/sin [n, headDim/2]
        model.layers(b, null, 0);                             // x [n, hidden]
        model.finalNorm(b.x, n, b.h);                         // h [n, hidden]
        int vocab = config.vocabSize();
        float[] all = new float[Math.multiplyExact(n, vocab)];
        model.logits(b.h, n, all);                            // [n, vocab]
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
            sessions.get(i).endDecode(positions[i]);
        }
        return out;
    }
}
