package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float INF = Float.NEGATIVE_INFINITY;

    @Test
    void argmaxTakesTheLowestIndexOnTies() {
        assertEquals(1, Sampler.argmax(new float[] {0f, 5f, 5f, -1f, 5f}));
        assertEquals(0, Sampler.argmax(new float[] {INF, INF}));
        assertEquals(3, Sampler.argmax(new float[] {INF, -3f, INF, 2f}));
    }

    @Test
    void greedyIgnoresTheRandomGenerator() {
        float[] s = {0.1f, 0.3f, 0.2f};
        assertEquals(1, new Sampler(1L).next(s, true));
        assertEquals(1, new Sampler(2L).next(s, true));
    }

    @Test
    void aFixedSeedReproducesEveryDraw() {
        float[] s = {0f, 0.5f, 1f, 0.2f, -0.3f, 0.9f};
        int[] a = draws(new Sampler(42L), s, 500);
        int[] b = draws(new Sampler(42L), s, 500);
        int[] c = draws(new Sampler(43L), s, 500);
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        double[] p = {0.1, 0.2, 0.3, 0.4};
        // the same distribution as logits with an offset, between filtered tokens that must never be drawn
        float[] scores = {INF, (float) Math.log(p[0]) + 7, INF, (float) Math.log(p[1]) + 7, (float) Math.log(p[2]) + 7, INF,
                (float) Math.log(p[3]) + 7};
        int[] slot = {1, 3, 4, 6};
        int n = 200_000;
        int[] counts = new int[scores.length];
        Sampler sampler = new Sampler(20241126L);
        for (int i = 0; i < n; i++) counts[sampler.sample(scores)]++;
        assertEquals(0, counts[0] + counts[2] + counts[5], "filtered tokens were drawn");
        double chi2 = 0;
        for (int j = 0; j < p.length; j++) {
            double expected = n * p[j];
            chi2 += (counts[slot[j]] - expected) * (counts[slot[j]] - expected) / expected;
        }
        // 3 degrees of freedom: P(chi2 > 16.27) = 0.001 for a correct sampler
        assertTrue(chi2 < 16.27, "chi-square " + chi2 + " for counts " + java.util.Arrays.toString(counts));
    }

    @Test
    void aSingleSurvivorIsAlwaysDrawn() {
        Sampler sampler = new Sampler(7L);
        for (int i = 0; i < 100; i++) assertEquals(2, sampler.sample(new float[] {INF, INF, 919.7f, INF}));
    }

    @Test
    void nothingToDrawIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sampler(1L).sample(new float[] {INF, INF}));
        assertTrue(e.getMessage().contains("filtered"), e.getMessage());
    }

    private static int[] draws(Sampler sampler, float[] s, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = sampler.sample(s);
        return out;
    }
}
