package qwen2vl4j.generate;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The token ids a generation has seen, kept in the forms the penalties need: the distinct ids of prompt
 * and output (repetition penalty) and, for the generated tokens only, how often each occurred
 * (presence and frequency penalties). Not thread-safe: one per generation.
 */
public final class TokenHistory {
    private final BitSet seen = new BitSet();
    private int[] distinct = new int[64];
    private int distinctCount;
    private int[] generatedDistinct = new int[16];
    private int generatedDistinctCount;
    private int[] generatedCounts = new int[0];
    private int generatedTotal;

    /** A history holding the prompt ids (which count for the repetition penalty only). */
    public TokenHistory(int[] promptIds) {
        for (int i = 0; i < promptIds.length; i++) {
            int id = promptIds[i];
            if (id < 0) throw new IllegalArgumentException("prompt id at position " + i + " must be >= 0, found " + id);
            addSeen(id);
        }
    }

    /** Records a generated token. */
    public void addGenerated(int id) {
        if (id < 0) throw new IllegalArgumentException("generated token id must be >= 0, found " + id);
        addSeen(id);
        if (id >= generatedCounts.length) generatedCounts = Arrays.copyOf(generatedCounts, Math.max(id + 1, generatedCounts.length * 2));
        if (generatedCounts[id]++ == 0) {
            if (generatedDistinctCount == generatedDistinct.length) generatedDistinct = Arrays.copyOf(generatedDistinct, generatedDistinctCount * 2);
            generatedDistinct[generatedDistinctCount++] = id;
        }
        generatedTotal++;
    }

    /** The distinct ids of prompt and output, in first-seen order (a fresh array). */
    public int[] distinctIds() {
        return Arrays.copyOf(distinct, distinctCount);
    }

    /** The distinct generated ids, in first-seen order (a fresh array). */
    public int[] distinctGeneratedIds() {
        return Arrays.copyOf(generatedDistinct, generatedDistinctCount);
    }

    /** How often {@code id} was generated. */
    public int generatedCount(int id) {
        return id >= 0 && id < generatedCounts.length ? generatedCounts[id] : 0;
    }

    /** Number of tokens generated so far. */
    public int generatedTokens() {
        return generatedTotal;
    }

    int distinctCount() {
        return distinctCount;
    }

    int distinctAt(int i) {
        return distinct[i];
    }

    int generatedDistinctCount() {
        return generatedDistinctCount;
    }

    int generatedDistinctAt(int i) {
        return generatedDistinct[i];
    }

    private void addSeen(int id) {
        if (seen.get(id)) return;
        seen.set(id);
        if (distinctCount == distinct.length) distinct = Arrays.copyOf(distinct, distinctCount * 2);
        distinct[distinctCount++] = id;
    }
}
