package qwen2vl4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Fixtures;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.ModelConfig;

class WeightsTest {
    @TempDir
    Path tmp;

    @Test
    void tinyModelShardedEveryTensorMatchesTheConfig() {
        ModelConfig config = ModelConfig.load(Fixtures.tinyModel());
        try (Weights w = Weights.open(Fixtures.tinyModel())) {
            Map<String, long[]> expected = CheckpointLayout.expected(config);
            assertEquals(expected.keySet(), w.all().keySet(), "tensor names");
            for (var e : expected.entrySet()) {
                assertArrayEquals(e.getValue(), w.tensor(e.getKey()).shape(), e.getKey());
                assertEquals(DType.BF16, w.tensor(e.getKey()).dtype(), e.getKey());
            }
            CheckpointLayout.verify(w, config);
            assertFalse(w.has("lm_head.weight"), "tied: no lm_head in the tiny checkpoint");
        }
    }

    @Test
    void geometryModelSingleFileWithUntiedHead() {
        ModelConfig config = ModelConfig.load(Fixtures.geometryModel());
        try (Weights w = Weights.open(Fixtures.geometryModel())) {
            assertEquals(CheckpointLayout.expected(config).keySet(), w.all().keySet());
            CheckpointLayout.verify(w, config);
            assertArrayEquals(new long[] {1024, 768}, w.tensor("lm_head.weight").shape());
        }
    }

    @Test
    void newerPrefixesAreMappedToHubNames() throws Exception {
        Path dir = tmp.resolve("m");
        Files.createDirectories(dir);
        new SafeTensorsWriter()
                .addF32("model.language_model.layers.0.input_layernorm.weight", new long[] {2}, new float[] {1, 2})
                .addF32("model.visual.blocks.0.norm1.weight", new long[] {2}, new float[] {3, 4})
                .write(dir.resolve("model.safetensors"));
        try (Weights w = Weights.open(dir)) {
            assertArrayEquals(new float[] {1, 2}, w.tensor("model.layers.0.input_layernorm.weight").toFloatArray());
            assertArrayEquals(new float[] {3, 4}, w.tensor("visual.blocks.0.norm1.weight").toFloatArray());
        }
    }

    private Path copyTiny() throws Exception {
        Path dir = tmp.resolve("tiny");
        Files.createDirectories(dir);
        try (var list = Files.list(Fixtures.tinyModel())) {
            for (Path p : list.toList()) Files.copy(p, dir.resolve(p.getFileName()));
        }
        return dir;
    }

    @Test
    void missingShardIsNamed() throws Exception {
        Path dir = copyTiny();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        String m = assertThrows(ModelLoadException.class, () -> Weights.open(dir)).getMessage();
        assertTrue(m.contains("model-00002-of-00002.safetensors") && m.contains("missing"), m);
    }

    @Test
    void shapeDisagreeingWithConfigIsNamed() throws Exception {
        Path dir = copyTiny();
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\": 64", "\"intermediate_size\": 65");
        Files.writeString(dir.resolve("config.json"), cfg);
        ModelConfig config = ModelConfig.load(dir);
        try (Weights w = Weights.open(dir)) {
            String m = assertThrows(ModelLoadException.class, () -> CheckpointLayout.verify(w, config)).getMessage();
            assertTrue(m.contains("model.layers.0.mlp.gate_proj.weight") && m.contains("[65, 32]") && m.contains("[64, 32]"), m);
        }
    }

    @Test
    void folderWithoutWeights() throws Exception {
        Path dir = tmp.resolve("empty");
        Files.createDirectories(dir);
        String m = assertThrows(ModelLoadException.class, () -> Weights.open(dir)).getMessage();
        assertTrue(m.contains("no weights"), m);
    }

    @Test
    void malformedIndex() throws Exception {
        Path dir = copyTiny();
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {");
        String m = assertThrows(ModelLoadException.class, () -> Weights.open(dir)).getMessage();
        assertTrue(m.contains("model.safetensors.index.json") && m.contains("not valid JSON"), m);
    }
}
