package qwen2vl4j.generate;

/**
 * The softmax of one score vector, computed in double without a probability array:
 * {@code p_i = exp(s_i - max) / total}. Scores of {@code -inf} have probability 0.
 */
final class Softmax {
    private final float[] scores;
    private final float max;
    private final int argmax;
    private final double sumExp;
    private final int finiteCount;

    private Softmax(float[] scores, float max, int argmax, double sumExp, int finiteCount) {
        this.scores = scores;
        this.max = max;
        this.argmax = argmax;
        this.sumExp = sumExp;
        this.finiteCount = finiteCount;
    }

    /** Reads {@code scores} (not copied: the softmax describes the array as it is now). */
    static Softmax of(float[] scores) {
        int argmax = Sampler.argmax(scores);
        float max = scores[argmax];
        if (Float.isNaN(max) || max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("scores have no finite maximum (found " + max + " at index " + argmax
                    + "): every token was filtered or the logits are not finite");
        }
        double sum = 0;
        int finite = 0;
        for (float s : scores) {
            if (s != Float.NEGATIVE_INFINITY) {
                sum += Math.exp((double) s - max);
                finite++;
            }
        }
        return new Softmax(scores, max, argmax, sum, finite);
    }

    /** Probability of token {@code i}. */
    double probability(int i) {
        float s = scores[i];
        return s == Float.NEGATIVE_INFINITY ? 0.0 : Math.exp((double) s - max) / sumExp;
    }

    /** Unnormalised weight {@code exp(s_i - max)}. */
    double weight(int i) {
        float s = scores[i];
        return s == Float.NEGATIVE_INFINITY ? 0.0 : Math.exp((double) s - max);
    }

    double sumExp() {
        return sumExp;
    }

    int argmax() {
        return argmax;
    }

    int finiteCount() {
        return finiteCount;
    }
}
