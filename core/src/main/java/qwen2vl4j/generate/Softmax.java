package qwen2vl4j.generate;

/**
 * The softmax of one score vector, computed once in double: {@code p_i = exp(s_i - max) / sumExp}.
 * Scores of {@code -inf} have probability 0.
 */
final class Softmax {
    private final double[] weights;
    private final int argmax;
    private final double sumExp;
    private final int finiteCount;

    private Softmax(double[] weights, int argmax, double sumExp, int finiteCount) {
        this.weights = weights;
        this.argmax = argmax;
        this.sumExp = sumExp;
        this.finiteCount = finiteCount;
    }

    /** The softmax of {@code scores} as they are now (later changes to the array are not seen). */
    static Softmax of(float[] scores) {
        int argmax = Sampler.argmax(scores);
        float max = scores[argmax];
        if (Float.isNaN(max) || max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("scores have no finite maximum (found " + max + " at index " + argmax
                    + "): every token was filtered or the logits are not finite");
        }
        double[] weights = new double[scores.length];
        double sum = 0;
        int finite = 0;
        for (int i = 0; i < scores.length; i++) {
            float s = scores[i];
            if (s != Float.NEGATIVE_INFINITY) {
                double w = Math.exp((double) s - max);
                weights[i] = w;
                sum += w;
                finite++;
            }
        }
        return new Softmax(weights, argmax, sum, finite);
    }

    /** Probability of token {@code i}. */
    double probability(int i) {
        return weights[i] / sumExp;
    }

    /** Unnormalised weight {@code exp(s_i - max)}; 0 for filtered tokens. */
    double weight(int i) {
        return weights[i];
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
