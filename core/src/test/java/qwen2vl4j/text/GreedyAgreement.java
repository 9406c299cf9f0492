package qwen2vl4j.text;

import java.util.Arrays;
import java.util.function.Function;
import java.nio.file.Path;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.Weights;

/**
 * The greedy continuations of every golden case of both fixture models (the reference's image and video embeddings
 * in, so only the decoder is measured), with the decoder loaded from weights opened some other way (another backend
 * or precision), against the reference ids up to the first step whose reference margin (top-1 minus top-2 logit) is
 * below a bound: where the reference was nearly tied, a different rounding may rightly pick the other token.
 */
public final class GreedyAgreement {
    private GreedyAgreement() {}

    /** What was compared. */
    public record Result(int cases, int steps, int stoppedAtSmallMargin) {}

    /**
     * @param open       opens the weights of a fixture model folder (closed here)
     * @param marginMin  the reference margin below which a step and the rest of its case are not compared
     * @throws AssertionError naming the case and step where the ids differ
     */
    public static Result check(Function<Path, Weights> open, double marginMin) {
        int cases = 0, steps = 0, stopped = 0;
        for (String set : new String[] {GoldenCase.TINY, GoldenCase.GEOMETRY}) {
            Path dir = GoldenCase.modelDir(set);
            try (Weights weights = open.apply(dir)) {
                TextModel model = TextModel.load(weights, ModelConfig.load(dir));
                for (GoldenCase c : GoldenModels.cases(set)) {
                    cases++;
                    int[] eos = model.modelConfig().eosTokenIds();
                    TextSession s = model.newSession();
                    float[] logits = s.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
                    for (int k = 0; k < c.greedyIds().length; k++) {
                        if (c.greedyMargins()[k] < marginMin) {
                            stopped++;
                            break;
                        }
                        int token = GoldenModels.argmax(logits, 0, logits.length);
                        if (token != c.greedyIds()[k]) {
                            throw new AssertionError(c + " greedy step " + k + ": expected " + c.greedyIds()[k] + " but was " + token
                                    + " (reference margin " + c.greedyMargins()[k] + ")");
                        }
                        steps++;
                        if (Arrays.stream(eos).anyMatch(e -> e == token) || k + 1 == c.greedyIds().length) break;
                        logits = s.decode(token);
                    }
                }
            }
        }
        return new Result(cases, steps, stopped);
    }
}
