package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The text decoder against the Hugging Face reference, for every case of golden_tiny and golden_geometry. */
class TextModelGoldenTest {
    static final double HIDDEN_REL_TOL = 1e-4;
    static final double LOGIT_ABS_TOL = 1e-3;
    static final double MARGIN_MIN = 1e-3;

    static Stream<GoldenCase> cases() {
        return GoldenModels.allCases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void positionIdsAndRopeDeltaAreExact(GoldenCase c) {
        RopePositions p = RopeIndex.of(GoldenModels.model(c).modelConfig()).compute(c.inputIds(), c.imageGrid(), c.videoGrid());
        for (int a = 0; a < 3; a++) assertArrayEquals(c.positions()[a], p.positions()[a], c + " axis " + a);
        assertEquals(c.ropeDelta(), RopeIndexTest.ropeDelta(p), c + " rope delta");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hiddenStatesAndLogitsMatchReference(GoldenCase c) {
        TextModel model = GoldenModels.model(c);
        int vocab = model.config().vocabSize(), hidden = model.config().hiddenSize();
        PrefillRecorder r = new PrefillRecorder(model, c.inputIds().length);
        float[] last = model.newSession().prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions(), r);

        assertEquals(model.config().numHiddenLayers() + 1, r.hiddenStates().size(), "hidden state count");
        for (int i = 0; i < c.hidden().size(); i++) {
            assertRelativeClose(c.hidden().get(i), r.hiddenStates().get(i), c + " hidden_" + i);
        }
        assertAbsClose(c.lastLogits(), last, LOGIT_ABS_TOL, c + " last logits");
        int n = c.inputIds().length;
        assertArrayEquals(last, Arrays.copyOfRange(r.allLogits(), (n - 1) * vocab, n * vocab), "last row of all logits");
        if (c.allLogits() != null) assertAbsClose(c.allLogits(), r.allLogits(), LOGIT_ABS_TOL, c + " all logits");
        int compared = 0;
        for (int i = 0; i < n; i++) {
            int best = GoldenModels.argmax(r.allLogits(), i * vocab, vocab);
            assertEquals(c.top1()[i], r.allLogits()[i * vocab + best], LOGIT_ABS_TOL, c + " top1 at position " + i);
            if (c.margin()[i] > MARGIN_MIN) {
                assertEquals(c.argmax()[i], best, c + " argmax at position " + i + " (margin " + c.margin()[i] + ")");
                compared++;
            }
        }
        assertTrue(compared > n / 2, c + ": only " + compared + " of " + n + " positions had a usable margin");
        assertEquals(n * hidden, r.hiddenStates().getFirst().length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyContinuationMatchesReference(GoldenCase c) {
        TextModel model = GoldenModels.model(c);
        boolean stopAtEos = c.key().endsWith("/natural_stop");
        int[] eos = model.modelConfig().eosTokenIds();
        TextSession s = model.newSession();
        float[] logits = s.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
        int steps = c.greedyIds().length;
        for (int k = 0; k < steps; k++) {
            int token = GoldenModels.argmax(logits, 0, logits.length);
            if (c.greedyMargins()[k] < MARGIN_MIN) return; // the reference itself was nearly tied here
            assertEquals(c.greedyIds()[k], token, c + " greedy step " + k);
            if (stopAtEos && Arrays.stream(eos).anyMatch(e -> e == token)) {
                assertEquals(steps, k + 1, c + ": stopped at EOS but the reference continued");
                return;
            }
            if (k + 1 < steps) logits = s.decode(token);
        }
        if (stopAtEos) assertEquals(steps, c.greedyIds().length);
    }

    static void assertRelativeClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double meanAbs = 0;
        for (float v : expected) meanAbs += Math.abs(v);
        meanAbs /= expected.length;
        for (int i = 0; i < expected.length; i++) {
            double tol = HIDDEN_REL_TOL * (Math.abs(expected[i]) + meanAbs);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + " element " + i + ": expected " + expected[i] + " but was " + actual[i] + " (tolerance " + tol + ")");
            }
        }
    }

    static void assertAbsClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + " element " + i + ": expected " + expected[i] + " but was " + actual[i] + " (tolerance " + tol + ")");
            }
        }
    }
}
