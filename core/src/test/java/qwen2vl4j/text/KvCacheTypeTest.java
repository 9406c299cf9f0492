package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** 16-bit KV caches against the float32 cache on every golden_geometry case (the real model's head geometry). */
class KvCacheTypeTest {
    /** Least cosine similarity of a 16-bit cache's logits to the f32 cache's, at every step. */
    static final double MIN_COSINE = 0.9999;
    static final int STEPS = 8;

    static Stream<Arguments> cases() {
        return GoldenModels.cases(GoldenCase.GEOMETRY).stream()
                .flatMap(c -> Stream.of(Arguments.of(c, KvCacheType.BF16), Arguments.of(c, KvCacheType.F16)));
    }

    /**
     * Prefill and greedy decoding with the 16-bit cache stay within {@link #MIN_COSINE} of the f32 cache's logits
     * (fed the f32 run's tokens, so every step compares the same context), and pick the reference's greedy tokens.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logitsStayCloseToF32AndGreedyTokensMatchTheReference(GoldenCase c, KvCacheType type) {
        TextModel model = GoldenModels.model(c);
        TextSession exact = model.newSession(KvCacheType.F32), half = model.newSession(type);
        assertEquals(type, half.kvCacheType());
        float[] a = exact.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
        float[] b = half.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
        for (int k = 0; k < STEPS; k++) {
            double cos = cosine(a, b);
            assertTrue(cos >= MIN_COSINE, c + " " + type + " step " + k + ": cosine " + cos);
            int token = GoldenModels.argmax(a, 0, a.length);
            if (k < c.greedyIds().length && c.greedyMargins()[k] >= TextModelGoldenTest.MARGIN_MIN) {
                assertEquals(c.greedyIds()[k], GoldenModels.argmax(b, 0, b.length), c + " " + type + " greedy step " + k);
            }
            a = exact.decode(token);
            b = half.decode(token);
        }
    }

    @Test
    void bytesPerTokenCountKeysAndValuesOfEveryLayer() {
        TextModel model = GoldenModels.model(GoldenCase.GEOMETRY);
        var t = model.config();
        assertEquals(2L * t.numHiddenLayers() * t.kvDim() * 4, KvCacheType.F32.bytesPerToken(t));
        assertEquals(2L * t.numHiddenLayers() * t.kvDim() * 2, KvCacheType.BF16.bytesPerToken(t));
        assertEquals(KvCacheType.BF16.bytesPerToken(t), KvCacheType.F16.bytesPerToken(t));
    }

    @Test
    void parsesNamesAndRejectsOthers() {
        assertEquals(KvCacheType.BF16, KvCacheType.parse(" BF16 "));
        assertEquals(KvCacheType.F16, KvCacheType.parse("f16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KvCacheType.parse("fp8"));
        assertTrue(e.getMessage().contains("fp8") && e.getMessage().contains("bf16"), e.getMessage());
        assertArrayEquals(new String[] {"f32", "bf16", "f16"}, Arrays.stream(KvCacheType.values()).map(KvCacheType::toString).toArray());
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
