package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessorConfigTest {
    @Test
    void readsTheModelsFile() {
        PreprocessorConfig cfg = PreprocessorConfig.load(Fixtures.modelDir());
        assertEquals(3136, cfg.minPixels());
        assertEquals(12845056, cfg.maxPixels());
        assertEquals(14, cfg.patchSize());
        assertEquals(2, cfg.temporalPatchSize());
        assertEquals(2, cfg.mergeSize());
        assertEquals(28, cfg.factor());
        assertEquals(1176, cfg.patchDim());
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, cfg.mean());
        assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, cfg.std());
    }

    @Test
    void readsSizeShortestAndLongestEdge(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("preprocessor_config.json"),
                "{\"size\": {\"shortest_edge\": 50176, \"longest_edge\": 100352}, \"patch_size\": 14}");
        PreprocessorConfig cfg = PreprocessorConfig.load(dir);
        assertEquals(50176, cfg.minPixels());
        assertEquals(100352, cfg.maxPixels());
        assertEquals(2, cfg.mergeSize());
    }

    @Test
    void malformedFilesNameTheFileAndField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, "{\"min_pixels\": \"many\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("min_pixels"), e.getMessage());

        Files.writeString(file, "{\"image_mean\": [0.5, 0.5]}");
        e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir));
        assertTrue(e.getMessage().contains("image_mean"), e.getMessage());

        Files.writeString(file, "{\"size\": {\"longest_edge\": -3}}");
        e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir));
        assertTrue(e.getMessage().contains("size.longest_edge"), e.getMessage());

        Files.writeString(file, "{not json");
        e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        Files.delete(file);
        e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    /** Steps the engine always takes at Qwen2-VL's values are refused at another value (they were ignored) and accepted at theirs. */
    @Test
    void fixedStepsAtAnotherValueAreRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("preprocessor_config.json");
        String[][] cases = {{"\"do_normalize\": false", "do_normalize must be true"}, {"\"do_rescale\": 0", "do_rescale must be true"},
                {"\"do_resize\": false", "do_resize must be true"}, {"\"do_convert_rgb\": \"yes\"", "do_convert_rgb must be true"},
                {"\"rescale_factor\": 0.5", "rescale_factor must be 1/255"}, {"\"resample\": 2", "resample must be 3 (bicubic"}};
        for (String[] c : cases) {
            Files.writeString(file, "{" + c[0] + "}");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.load(dir), c[0]);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(c[1]), e.getMessage());
        }
        Files.writeString(file, "{\"do_resize\": true, \"do_rescale\": true, \"do_normalize\": true, \"do_convert_rgb\": true, "
                + "\"rescale_factor\": 0.00392156862745098, \"resample\": 3}");
        assertEquals(3136, PreprocessorConfig.load(dir).minPixels());
    }
}
