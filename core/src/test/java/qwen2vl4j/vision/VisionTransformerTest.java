package qwen2vl4j.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Json;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.SafeTensorsWriter;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;
import qwen2vl4j.preprocess.Grid;

/**
 * The vision tower against the Hugging Face reference: every golden case that stores pixel values.
 * Tolerance, per element: {@code |actual − expected| ≤ 1e-4 · (|expected| + mean|expected|)},
 * the mean over the whole expected embedding tensor of the case.
 */
class VisionTransformerTest {
    private static final double TOLERANCE = 1e-4;
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir", "fixtures"));

    @TempDir
    Path tmp;

    /** One encoder input of a golden case: images or videos, with the model that produced it. */
    record Input(String golden, String model, String caseKey, String pixels, String grid, String embeds) {
        @Override
        public String toString() {
            return caseKey + " " + pixels;
        }
    }

    static Stream<Input> inputs() {
        List<Input> all = new ArrayList<>();
        addInputs(all, "golden_tiny", "tiny-qwen2vl");
        addInputs(all, "golden_geometry", "geometry-qwen2vl");
        return all.stream();
    }

    private static void addInputs(List<Input> all, String golden, String model) {
        for (JsonNode c : Json.read(FIXTURES.resolve(golden + ".json"))) {
            String key = c.get("key").asText();
            if (c.has("pixel_values")) {
                all.add(new Input(golden, model, key, c.get("pixel_values").asText(),
                        c.get("image_grid_thw").asText(), c.get("image_embeds").asText()));
            }
            if (c.has("pixel_values_videos")) {
                all.add(new Input(golden, model, key, c.get("pixel_values_videos").asText(),
                        c.get("video_grid_thw").asText(), c.get("video_embeds").asText()));
            }
        }
    }

    @Test
    void everyStoredImageAndVideoCaseIsCovered() {
        List<Input> list = inputs().toList();
        // tiny: image_one, image_odd, image_two, video_one, image_and_video ×2; geometry: g_image, g_video_image ×2
        assertEquals(9, list.size(), list.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void matchesReferenceEmbeddings(Input in) {
        Path modelDir = FIXTURES.resolve("models").resolve(in.model());
        VisionConfig config = ModelConfig.load(modelDir).vision();
        try (Weights weights = Weights.open(modelDir);
             SafeTensors golden = SafeTensors.open(FIXTURES.resolve(in.golden() + ".safetensors"))) {
            Tensor pixels = golden.tensor(in.pixels());
            int patches = pixels.dim(0);
            List<Grid> grids = grids(golden.tensor(in.grid()));
            float[] expected = golden.tensor(in.embeds()).toFloatArray();

            float[] actual = VisionTransformer.load(weights, config).forward(pixels.toFloatArray(), patches, grids).data();

            assertEquals(expected.length, actual.length, "embedding count × hidden size");
            assertClose(expected, actual, in.toString());
        }
    }

    @Test
    void concurrentCallsGiveTheSameResult() throws Exception {
        Path modelDir = FIXTURES.resolve("models/tiny-qwen2vl");
        try (Weights weights = Weights.open(modelDir);
             SafeTensors golden = SafeTensors.open(FIXTURES.resolve("golden_tiny.safetensors"))) {
            VisionTransformer vt = VisionTransformer.load(weights, ModelConfig.load(modelDir).vision());
            float[] odd = golden.tensor("tiny/image_odd/pixel_values").toFloatArray();
            float[] two = golden.tensor("tiny/image_two/pixel_values").toFloatArray();
            List<Grid> oddGrid = grids(golden.tensor("tiny/image_odd/image_grid_thw"));
            List<Grid> twoGrid = grids(golden.tensor("tiny/image_two/image_grid_thw"));
            float[] oddAlone = vt.forward(odd, 120, oddGrid).data();
            float[] twoAlone = vt.forward(two, 72, twoGrid).data();
            List<float[]> results = Stream.of(0, 1, 2, 3).parallel()
                    .map(i -> (i % 2 == 0 ? vt.forward(odd, 120, oddGrid) : vt.forward(two, 72, twoGrid)).data())
                    .toList();
            for (int i = 0; i < results.size(); i++) {
                assertTrue(Arrays.equals(i % 2 == 0 ? oddAlone : twoAlone, results.get(i)), "call " + i);
            }
        }
    }

    @Test
    void wrongShapedWeightIsReportedByName() throws Exception {
        Path modelDir = FIXTURES.resolve("models/tiny-qwen2vl");
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        String victim = "visual.blocks.1.mlp.fc2.weight";
        try (Weights weights = Weights.open(modelDir)) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            for (Tensor t : weights.all().values()) {
                if (!t.name().startsWith("visual.")) continue;
                float[] values = t.toFloatArray();
                long[] shape = t.name().equals(victim) ? new long[] {t.shape()[1], t.shape()[0]} : t.shape();
                writer.addF32(t.name(), shape, values);
            }
            writer.write(broken.resolve("model.safetensors"));
        }
        VisionConfig config = ModelConfig.load(modelDir).vision();
        try (Weights weights = Weights.open(broken)) {
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> VisionTransformer.load(weights, config));
            assertTrue(e.getMessage().contains(victim), e.getMessage());
            assertTrue(e.getMessage().contains("[32, 128]"), "states the expected shape: " + e.getMessage());
        }
    }

    @Test
    void gridThatDisagreesWithPixelsIsRejected() {
        Path modelDir = FIXTURES.resolve("models/tiny-qwen2vl");
        try (Weights weights = Weights.open(modelDir)) {
            VisionTransformer vt = VisionTransformer.load(weights, ModelConfig.load(modelDir).vision());
            float[] pixels = new float[8 * 1176];
            var e = assertThrows(IllegalArgumentException.class, () -> vt.forward(pixels, 8, List.of(new Grid(1, 2, 2))));
            assertTrue(e.getMessage().contains("4 patches") && e.getMessage().contains("8 rows"), e.getMessage());
            var odd = assertThrows(IllegalArgumentException.class, () -> vt.forward(pixels, 8, List.of(new Grid(2, 1, 4))));
            assertTrue(odd.getMessage().contains("multiples of the merge size"), odd.getMessage());
            assertThrows(IllegalArgumentException.class, () -> vt.forward(pixels, 7, List.of(new Grid(1, 2, 4))));
        }
    }

    private static List<Grid> grids(Tensor t) {
        return Grid.rows(t.toLongArray());
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double meanAbs = 0;
        for (float e : expected) meanAbs += Math.abs(e);
        meanAbs /= expected.length;
        assertFalse(meanAbs == 0, what + ": reference embeddings are all zero");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double ratio = Math.abs(actual[i] - expected[i]) / (TOLERANCE * (Math.abs(expected[i]) + meanAbs));
            if (!(ratio <= worst)) {
                worst = ratio;
                worstAt = i;
            }
        }
        assertTrue(worst <= 1.0, what + ": element " + worstAt + " is " + (worstAt < 0 ? "?" : actual[worstAt]) + ", expected "
                + (worstAt < 0 ? "?" : expected[worstAt]) + " (" + worst + " × tolerance)");
        System.out.printf("%s: worst error %.3f of tolerance%n", what, worst);
    }
}
