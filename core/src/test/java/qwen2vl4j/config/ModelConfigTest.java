package qwen2vl4j.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Fixtures;
import qwen2vl4j.io.ModelLoadException;

class ModelConfigTest {
    @TempDir
    Path tmp;

    @Test
    void flatOfficialForm() {
        ModelConfig c = ModelConfig.load(Fixtures.tinyModel());
        TextConfig t = c.text();
        assertEquals(32, t.hiddenSize());
        assertEquals(2, t.numHiddenLayers());
        assertEquals(2, t.numAttentionHeads());
        assertEquals(1, t.numKeyValueHeads());
        assertEquals(16, t.headDim());
        assertArrayEquals(new int[] {2, 3, 3}, t.mropeSection());
        assertEquals(1e6, t.ropeTheta());
        assertEquals(151936, t.vocabSize());
        assertTrue(t.tieWordEmbeddings());
        assertEquals(151655, c.imageTokenId());
        assertEquals(151656, c.videoTokenId());
        assertEquals(151652, c.visionStartTokenId());
        VisionConfig v = c.vision();
        assertEquals(2, v.depth());
        assertEquals(32, v.embedDim());
        assertEquals(32, v.hiddenSize());
        assertEquals(1176, v.patchValues());
        assertEquals("quick_gelu", v.hiddenAct());
    }

    @Test
    void nestedNewerFormWithSpecialIdsInTheConfig() {
        ModelConfig c = ModelConfig.load(Fixtures.geometryModel());
        assertEquals(768, c.text().hiddenSize());
        assertEquals(128, c.text().headDim());
        assertEquals(6, c.text().numAttentionHeads());
        assertArrayEquals(new int[] {16, 24, 24}, c.text().mropeSection());
        assertFalse(c.text().tieWordEmbeddings());
        assertEquals(1024, c.text().vocabSize());
        assertEquals(1000, c.imageTokenId());
        assertEquals(1001, c.videoTokenId());
        assertEquals(1002, c.visionStartTokenId());
        assertEquals(1003, c.visionEndTokenId());
        assertArrayEquals(new int[] {1006}, c.eosTokenIds());
        assertEquals(80, c.vision().headDim());
    }

    @Test
    void generationConfig() {
        GenerationConfig g = GenerationConfig.load(Fixtures.tinyModel(), new int[] {1});
        assertArrayEquals(new int[] {151645, 151643}, g.eosTokenIds());
        assertEquals(1, g.topK());
        assertEquals(0.001, g.topP());
        assertTrue(g.doSample());
        GenerationConfig none = GenerationConfig.load(Fixtures.geometryModel(), new int[] {1006});
        assertFalse(none.doSample());
        assertArrayEquals(new int[] {1006}, none.eosTokenIds());
    }

    private String error(String json) throws Exception {
        Path dir = tmp.resolve("c" + System.nanoTime());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), json);
        return assertThrows(ModelLoadException.class, () -> ModelConfig.load(dir)).getMessage();
    }

    @Test
    void badConfigsNameTheField() throws Exception {
        String base = Files.readString(Fixtures.tinyModel().resolve("config.json"));
        String m = error(base.replace("\"hidden_size\": 32,\n  \"intermediate_size\"", "\"hidden_size\": \"big\",\n  \"intermediate_size\""));
        assertTrue(m.contains("config.json") && m.contains("'hidden_size'") && m.contains("integer"), m);
        m = error(base.replace("\"num_hidden_layers\": 2,", ""));
        assertTrue(m.contains("'num_hidden_layers' is missing"), m);
        m = error(base.replace("\"mrope_section\": [\n      2,\n      3,\n      3\n    ]", "\"mrope_section\": [2, 3]"));
        assertTrue(m.contains("mrope_section"), m);
        m = error("{\"hidden_size\": ");
        assertTrue(m.contains("not valid JSON"), m);
        m = error(base.replace("\"qwen2_vl\"", "\"llama\""));
        assertTrue(m.contains("model_type"), m);
    }

    /** Sizes below 1, negative token ids and rotary settings that make NaN are refused by name (they ran, or failed late). */
    @Test
    void outOfRangeValuesNameTheField() throws Exception {
        String base = Files.readString(Fixtures.tinyModel().resolve("config.json"));
        String[][] cases = {
                {"\"num_hidden_layers\": 2,", "\"num_hidden_layers\": -1,", "field 'num_hidden_layers' must be at least 1, found -1"},
                {"\"num_hidden_layers\": 2,", "\"num_hidden_layers\": 0,", "field 'num_hidden_layers' must be at least 1, found 0"},
                {"\"depth\": 2,", "\"depth\": -1,", "field 'depth' must be at least 1, found -1"},
                {"\"hidden_size\": 32,\n  \"intermediate_size\"", "\"hidden_size\": -1,\n  \"intermediate_size\"",
                        "field 'hidden_size' must be at least 1, found -1"},
                {"\"rope_theta\": 1000000.0,", "\"rope_theta\": 0,", "field 'rope_theta' must be a positive number, found 0.0"},
                {"\"image_token_id\": 151655,", "\"image_token_id\": -1,", "field 'image_token_id' must be a token id (0 or more), found -1"},
                {"\"mrope_section\": [\n      2,\n      3,\n      3\n    ]", "\"mrope_section\": [-1, 5, 4]",
                        "field 'mrope_section' must hold integers of at least 0, found [-1,5,4]"},
        };
        for (String[] c : cases) {
            if (!base.contains(c[0])) throw new IllegalStateException("fixture config has no " + c[0]);
            String m = error(base.replace(c[0], c[1]));
            assertTrue(m.contains("config.json") && m.contains(c[2]), c[1] + ": " + m);
        }
        String m = error(base.replaceFirst("\"vision_config\": \\{", "\"vision_config\": [], \"unused\": {"));
        assertTrue(m.contains("field 'vision_config' must be an object, found []"), m);
    }
}
