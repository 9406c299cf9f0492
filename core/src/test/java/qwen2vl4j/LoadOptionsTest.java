package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.kernels.ComputePool;
import java.nio.file.Path;
import qwen2vl4j.text.KvCacheType;

/** {@link LoadOptions}: the reference defaults, each field reaching the loaded model, out-of-range values named. */
class LoadOptionsTest {

    @Test
    void defaultsAreTheReferenceSettings() {
        LoadOptions d = LoadOptions.defaults();
        assertEquals(WeightFormat.BF16, d.weights());
        assertEquals(KvCacheType.F32, d.kvCache());
        assertEquals(0, d.minPixels());
        assertEquals(0, d.maxPixels());
        assertEquals(0, d.threads());
        assertEquals(d, d.toBuilder().build());
    }

    @Test
    void optionsReachTheModel() {
        LoadOptions o = LoadOptions.builder().weights(WeightFormat.Q8_0).kvCache(KvCacheType.BF16).minPixels(28 * 28 * 4)
                .maxPixels(28 * 28 * 16).threads(1).build();
        try (Qwen2VL model = Qwen2VL.load(Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl"), o)) {
            assertEquals(o, model.options());
            assertEquals(KvCacheType.BF16, model.newSession().kvCacheType());
            assertEquals(1, ComputePool.threads());
            assertArrayEquals(new long[] {28 * 28 * 4, 28 * 28 * 16}, model.processor().imagePixelBounds(),
                    "the defaults of image parts without their own bounds");
            assertEquals(PreprocessorConfig.QWEN2_VL.maxPixels(), model.processor().preprocessor().maxPixels(), "the processor's own stay");
        } finally {
            ComputePool.setThreads(ComputePool.MAX_THREADS);
        }
    }

    @Test
    void outOfRangeValuesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().threads(-1).build())
                .getMessage().contains("threads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().threads(ComputePool.MAX_THREADS + 1).build())
                .getMessage().contains("threads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().minPixels(10).maxPixels(5).build())
                .getMessage().contains("minPixels"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().maxImagePixels(0).build())
                .getMessage().contains("maxImagePixels"));
        assertThrows(NullPointerException.class, () -> LoadOptions.builder().weights(null).build());
    }
}
