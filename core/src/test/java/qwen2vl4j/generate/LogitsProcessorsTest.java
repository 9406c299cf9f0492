package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The processors against direct full-sort re-statements of transformers' definitions. */
class LogitsProcessorsTest {

    private static float[] randomScores(long seed, int n, boolean withTies) {
        Random r = new Random(seed);
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = (float) (r.nextGaussian() * 3);
        if (withTies) for (int i = 0; i < n; i += 7) s[i] = s[(i * 31) % n];
        return s;
    }

    /** torch: scores < topk(scores, k).values[-1] -> -inf. */
    private static float[] referenceTopK(float[] in, int k) {
        float[] sorted = in.clone();
        Arrays.sort(sorted);
        float kth = sorted[Math.max(0, sorted.length - Math.min(k, sorted.length))];
        float[] out = in.clone();
        for (int i = 0; i < out.length; i++) if (out[i] < kth) out[i] = Float.NEGATIVE_INFINITY;
        return out;
    }

    /** transformers: ascending sort, cumsum(softmax) <= 1 - p removed, the largest kept. */
    private static float[] referenceTopP(float[] in, double p) {
        Integer[] order = IntStream.range(0, in.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> in[i]).thenComparing(i -> -i));
        double max = Double.NEGATIVE_INFINITY;
        for (float v : in) max = Math.max(max, v);
        double sum = 0;
        for (float v : in) sum += Math.exp(v - max);
        float[] out = in.clone();
        double c = 0;
        for (int r = 0; r < order.length - 1; r++) {
            c += Math.exp(in[order[r]] - max) / sum;
            if ((float) c <= (float) (1 - p)) out[order[r]] = Float.NEGATIVE_INFINITY;
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1,1", "2,5", "3,50", "4,999", "5,1000", "6,4000"})
    void topKMatchesFullSort(long seed, int k) {
        float[] s = randomScores(seed, 1000, true);
        float[] expected = referenceTopK(s, k);
        LogitsProcessors.topK(s, k);
        assertArrayEquals(expected, s);
    }

    @Test
    void topKKeepsTiesWithTheKth() {
        float[] s = {1, 3, 2, 3, 3, 0};
        LogitsProcessors.topK(s, 2);
        float inf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {inf, 3, inf, 3, 3, inf}, s);
    }

    @ParameterizedTest
    @CsvSource({"1,0.001", "2,0.1", "3,0.5", "4,0.9", "5,0.95", "6,0.999"})
    void topPMatchesFullSort(long seed, double p) {
        float[] s = randomScores(seed, 3000, false);
        float[] expected = referenceTopP(s, p);
        LogitsProcessors.topP(s, p);
        assertArrayEquals(expected, s);
    }

    @ParameterizedTest
    @CsvSource({"7,0.3", "8,0.8", "9,0.97"})
    void topPMatchesFullSortWithTiesOnALargeVocabulary(long seed, double p) {
        float[] s = randomScores(seed, 20000, true);
        for (int i = 0; i < s.length; i++) s[i] = Math.round(s[i] * 4) / 4f;  // many equal scores
        float[] expected = referenceTopP(s, p);
        LogitsProcessors.topP(s, p);
        assertArrayEquals(expected, s);
    }

    @Test
    void topPAlwaysKeepsTheLargestAndIgnoresFilteredTokens() {
        float inf = Float.NEGATIVE_INFINITY;
        float[] s = {inf, 10, inf, 0};
        LogitsProcessors.topP(s, 1e-6);
        assertArrayEquals(new float[] {inf, 10, inf, inf}, s);
        float[] afterTopK = {inf, 1, inf, 1.1f, 0.9f};
        float[] expected = referenceTopP(afterTopK, 0.6);
        LogitsProcessors.topP(afterTopK, 0.6);
        assertArrayEquals(expected, afterTopK);
    }

    @Test
    void minPDropsTokensBelowTheScaledTopProbability() {
        float[] s = randomScores(11, 500, false);
        double minP = 0.05;
        float max = s[Sampler.argmax(s)];
        float[] expected = s.clone();
        // p_i < minP * p_max  <=>  exp(s_i - max) < minP
        for (int i = 0; i < s.length; i++) if (Math.exp(s[i] - max) < minP) expected[i] = Float.NEGATIVE_INFINITY;
        LogitsProcessors.minP(s, minP);
        assertArrayEquals(expected, s);
        assertTrue(IntStream.range(0, s.length).filter(i -> s[i] != Float.NEGATIVE_INFINITY).count() >= 1);
    }

    @Test
    void repetitionPenaltyCountsEachIdOnceAndRespectsSign() {
        float[] s = {2f, -2f, 4f, 1f};
        LogitsProcessors.repetitionPenalty(s, new int[] {0, 1, 0, 0, 1}, 2.0);
        assertArrayEquals(new float[] {1f, -4f, 4f, 1f}, s);
    }

    @Test
    void presenceAndFrequencyPenaltiesUseGeneratedCountsOnly() {
        TokenHistory h = new TokenHistory(new int[] {3, 3, 3});
        h.addGenerated(1);
        h.addGenerated(1);
        h.addGenerated(2);
        float[] s = {0f, 0f, 0f, 0f};
        LogitsProcessors.presenceFrequencyPenalty(s, h, 0.5, 0.25);
        assertArrayEquals(new float[] {0f, -1.0f, -0.75f, 0f}, s);
    }

    @Test
    void applySkipsWarpersWhenGreedyButKeepsPenalties() {
        float[] s = {1f, 2f, 3f};
        SamplingParams greedy = SamplingParams.builder().temperature(0.5).topK(1).repetitionPenalty(2).build();
        LogitsProcessors.apply(s, greedy, new TokenHistory(new int[] {2}));
        assertArrayEquals(new float[] {1f, 2f, 1.5f}, s);
    }

    @Test
    void outOfVocabularyIdIsReported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogitsProcessors.repetitionPenalty(new float[4], new int[] {7}, 1.1));
        assertTrue(e.getMessage().contains("7") && e.getMessage().contains("4"), e.getMessage());
    }

    @Test
    void warperArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> LogitsProcessors.temperature(new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> LogitsProcessors.topK(new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> LogitsProcessors.topP(new float[2], 1.5));
        assertThrows(IllegalArgumentException.class, () -> LogitsProcessors.minP(new float[2], -0.1));
        assertEquals(2, new float[2].length);
    }
}
