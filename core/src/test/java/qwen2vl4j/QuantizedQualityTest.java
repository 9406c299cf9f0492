package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import qwen2vl4j.io.WeightFormat;

/**
 * The whole model with its matrices quantized at load time, against the reference logits of every golden_geometry
 * position ({@link GeometryQuality}): the prefill takes the tiled GEMM over dequantized weights, the one-token steps
 * the integer Q8 kernels. The bar: Q8_0 keeps every position's cosine ≥ 0.999.
 */
class QuantizedQualityTest {
    private static final double Q8_MIN_COSINE = 0.999;
    /**
     * Not a requirement of the issue: a guard against regressions just below what Q4_0 measures on this
     * random-weight fixture (min 0.938, mean 0.962; 4 bits per weight of random Gaussian weights leave
     * about 8% error per weight, and the reference's top-1 margins are small).
     */
    private static final double Q4_MIN_COSINE = 0.93;
    private static final double Q4_MIN_MEAN_COSINE = 0.95;
    private static final double BF16_MIN_COSINE = 0.999999;

    @Test
    void q8KeepsLogitCosineAboveTheBar() {
        GeometryQuality.Quality q = GeometryQuality.measure(WeightFormat.Q8_0);
        System.out.println(q);
        assertTrue(q.minCosine() >= Q8_MIN_COSINE, "Q8_0 " + q);
        assertTrue(q.top1() >= 0.95, "Q8_0 top-1 agreement " + q);
    }

    @Test
    void q4StaysClose() {
        GeometryQuality.Quality q = GeometryQuality.measure(WeightFormat.Q4_0);
        System.out.println(q);
        assertTrue(q.minCosine() >= Q4_MIN_COSINE && q.meanCosine() >= Q4_MIN_MEAN_COSINE, "Q4_0 " + q);
    }

    @Test
    void bf16IsTheReferenceItself() {
        GeometryQuality.Quality q = GeometryQuality.measure(WeightFormat.BF16);
        System.out.println(q);
        assertTrue(q.minCosine() >= BF16_MIN_COSINE, "bf16 " + q);
        assertEquals(1.0, q.top1(), 0.02, "bf16 top-1 (ties in the reference aside)");
    }
}
