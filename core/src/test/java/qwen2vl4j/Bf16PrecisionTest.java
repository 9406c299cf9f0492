package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Bf16ReferenceBackend;
import qwen2vl4j.text.GreedyAgreement;

/**
 * What bf16 precision costs, on any CPU: the model with every large product's inputs rounded to bf16
 * ({@link Bf16ReferenceBackend}, the twin of a bf16 matrix unit) against the float32 reference. The bars are the
 * acceleration issue's: logits cosine ≥ 0.999 at every position of the geometry fixture (real head sizes), top-1
 * agreement ≥ 95%, and greedy continuations equal to the reference's up to the first step whose reference margin
 * is below 0.05.
 */
class Bf16PrecisionTest {
    static final double MIN_COSINE = 0.999;
    static final double MIN_TOP1 = 0.95;
    static final double GREEDY_MARGIN = 0.05;

    @Test
    void bf16InputsKeepTheLogitsWithinTheBar() {
        GeometryQuality.Quality q = GeometryQuality.measure("bf16 inputs (reference twin)",
                Weights.open(Fixtures.geometryModel(), Bf16ReferenceBackend.INSTANCE));
        System.out.println(q);
        assertTrue(q.minCosine() >= MIN_COSINE, q.toString());
        assertTrue(q.top1() >= MIN_TOP1, q.toString());
        assertTrue(q.visionRelativeError() > 1e-6, "the vision tower's products did take bf16 inputs: " + q);
    }

    @Test
    void bf16GreedyContinuationsFollowTheReferenceWhileItIsClear() {
        GreedyAgreement.Result r = GreedyAgreement.check(dir -> Weights.open(dir, Bf16ReferenceBackend.INSTANCE), GREEDY_MARGIN);
        System.out.println("bf16 inputs (reference twin), greedy: " + r);
        assertTrue(r.steps() >= 20, "enough steps compared: " + r);
    }

    @Test
    void aBackendThatComputesInBf16IsChosenByNameWithoutANotice() {
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel(),
                LoadOptions.builder().backend(Bf16ReferenceBackend.NAME).precision(Precision.BF16).build())) {
            assertEquals(Bf16ReferenceBackend.NAME, model.compute().backend());
            assertEquals("bf16", model.compute().precision());
            assertNull(model.compute().notice());
        }
    }
}
