package qwen2vl4j.generate;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from processed scores: the arg-max (greedy) or a draw from their softmax.
 * Holds the random generator of one generation; a fixed seed reproduces every draw. Not thread-safe.
 */
public final class Sampler {
    private final RandomGenerator random;

    /** A sampler seeded with {@code seed}, or randomly seeded when {@code seed} is null. */
    public Sampler(Long seed) {
        this(seed == null ? new SplittableRandom() : new SplittableRandom(seed));
    }

    /** A sampler drawing from {@code random}. */
    public Sampler(RandomGenerator random) {
        this.random = java.util.Objects.requireNonNull(random, "random");
    }

    /** The arg-max when {@code greedy}, else a draw from the softmax of {@code scores}. */
    public int next(float[] scores, boolean greedy) {
        return greedy ? argmax(scores) : sample(scores);
    }

    /**
     * Draws index {@code i} with probability {@code softmax(scores)[i]}; {@code -inf} entries are never drawn.
     *
     * @throws IllegalArgumentException when no score is finite
     */
    public int sample(float[] scores) {
        Softmax sm = Softmax.of(scores);
        if (sm.finiteCount() == 1) return sm.argmax();
        double u = random.nextDouble() * sm.sumExp();
        double cumulative = 0;
        int last = sm.argmax();
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] == Float.NEGATIVE_INFINITY) continue;
            cumulative += sm.weight(i);
            if (u < cumulative) return i;
            last = i;
        }
        return last;  // rounding left u at the very top: the last drawable token
    }

    /** Index of the largest score; the lowest index among ties, as torch.argmax. */
    public static int argmax(float[] scores) {
        if (scores.length == 0) throw new IllegalArgumentException("scores must not be empty");
        int best = 0;
        float bestValue = scores[0];
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > bestValue) {
                bestValue = scores[i];
                best = i;
            }
        }
        return best;
    }
}
