package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.Tensor;

/** Every Pillow-backend case of {@code preprocess.json}: grid, resized pixels and pixel values. */
class PreprocessFixtureTest {
    private static final double PIXEL_VALUES_TOLERANCE = 1e-6;

    @TestFactory
    List<DynamicTest> pillowCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("preprocess.json")) {
            if (!c.get("backend").asText().equals("pil")) continue;
            tests.add(DynamicTest.dynamicTest(c.get("key").asText(), () -> checkCase(c)));
        }
        assertTrue(tests.size() >= 36, "expected the 36 public Pillow cases, found " + tests.size());
        return tests;
    }

    private static void checkCase(JsonNode c) {
        String name = c.get("image").asText();
        PreprocessorConfig cfg = PreprocessorConfig.load(Fixtures.modelDir())
                .withPixels(c.get("min_pixels").asLong(), c.get("max_pixels").asLong());
        RgbImage image = new ImageDecoder().decode(Fixtures.image(name));
        ProcessedImage out = new ImageProcessor(cfg).process(image);
        PixelValues pv = out.pixelValues();
        assertArrayEquals(Fixtures.longs(c.get("grid_thw")), pv.grid().thw(), "grid_thw");
        long[] hw = Fixtures.longs(c.get("resized_hw"));
        assertEquals(hw[0], out.resized().height(), "resized height");
        assertEquals(hw[1], out.resized().width(), "resized width");
        assertArrayEquals(Fixtures.longs(c.get("pixel_values_shape")), new long[] {pv.rows(), pv.cols()}, "pixel_values shape");
        try (SafeTensors st = SafeTensors.open(Fixtures.dir().resolve("preprocess.safetensors"))) {
            if (c.has("resized_rgb")) {
                Tensor ref = st.tensor(c.get("resized_rgb").asText());
                assertEquals(DType.U8, ref.dtype());
                assertArrayEquals(new long[] {hw[0], hw[1], 3}, ref.shape());
                int tolerance = name.endsWith(".png") ? 0 : 1;
                assertPixelsWithin(ref.toByteArray(), out.resized().rgb(), tolerance, out.resized().width());
            }
            if (c.has("pixel_values")) {
                float[] ref = st.tensor(c.get("pixel_values").asText()).toFloatArray();
                assertMaxAbsDiff(ref, pv.data(), PIXEL_VALUES_TOLERANCE);
            }
        }
    }

    static void assertPixelsWithin(byte[] expected, byte[] actual, int tolerance, int width) {
        assertEquals(expected.length, actual.length, "pixel count");
        int worst = 0, worstAt = -1, differing = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF));
            if (d > 0) differing++;
            if (d > worst) {
                worst = d;
                worstAt = i;
            }
        }
        int at = worstAt / 3;
        assertTrue(worst <= tolerance, "max pixel difference " + worst + " > " + tolerance + " at x=" + (at % width)
                + " y=" + (at / width) + " c=" + (worstAt % 3) + "; " + differing + " samples differ");
    }

    static void assertMaxAbsDiff(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length, "element count");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (d > worst || Double.isNaN(d)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                worstAt = i;
            }
        }
        assertTrue(worst <= tolerance, "max abs difference " + worst + " > " + tolerance + " at element " + worstAt);
    }

    @Test
    void decodedPaletteGreyAndAlphaImagesConvertLikePillow() {
        // The 224x224 RGB PNG needs no resize, so its pixel values come straight from the decoded bytes.
        RgbImage exact = new ImageDecoder().decode(Fixtures.image("exact_224x224.png"));
        assertEquals(224, exact.width());
        assertEquals(224, exact.height());
        RgbImage grey = new ImageDecoder().decode(Fixtures.image("gray_256x256.png"));
        for (int i = 0; i < grey.width() * grey.height(); i++) {
            assertEquals(grey.rgb()[i * 3], grey.rgb()[i * 3 + 1]);
            assertEquals(grey.rgb()[i * 3], grey.rgb()[i * 3 + 2]);
        }
    }
}
