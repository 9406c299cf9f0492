package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.io.SafeTensors;

/**
 * The vision inputs of the end-to-end cases of {@code golden_tiny} (which images and frame folders each case
 * used is in the fixture generator, {@code tools/make_fixtures.py}): pixel values of several images are
 * concatenated by rows, with one grid row per image.
 */
class GoldenTinyInputsTest {
    static Stream<Arguments> imageCases() {
        return Stream.of(
                Arguments.of("image_one", List.of("exact_224x224.png")),
                Arguments.of("image_odd", List.of("odd_171x129.png")),
                Arguments.of("image_two", List.of("small_112x84.png", "tiny_20x30.png")),
                Arguments.of("image_and_video", List.of("small_112x84.png")),
                Arguments.of("image_large_from_png", List.of("gradient_640x480.png")));
    }

    static Stream<Arguments> videoCases() {
        return Stream.of(
                Arguments.of("video_one", "moving_8x168x224"),
                Arguments.of("image_and_video", "odd_5x112x140"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("imageCases")
    void imagePixelValuesAndGrids(String name, List<String> images) {
        ImageProcessor processor = new ImageProcessor(PreprocessorConfig.load(Fixtures.modelDir()));
        List<PixelValues> all = new ArrayList<>();
        for (String image : images) all.add(processor.process(new ImageDecoder().decode(Fixtures.image(image))).pixelValues());
        String key = "tiny/" + name;
        try (SafeTensors st = SafeTensors.open(Fixtures.dir().resolve("golden_tiny.safetensors"))) {
            VisionBatch batch = VisionBatch.of(all);
            assertArrayEquals(new long[] {images.size(), 3}, st.tensor(key + "/image_grid_thw").shape());
            assertArrayEquals(st.tensor(key + "/image_grid_thw").toLongArray(), batch.gridThwFlat());
            if (st.has(key + "/pixel_values")) {
                assertArrayEquals(st.tensor(key + "/pixel_values").shape(), new long[] {batch.rows(), batch.cols()});
                PreprocessFixtureTest.assertMaxAbsDiff(st.tensor(key + "/pixel_values").toFloatArray(), batch.data(), 1e-6);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("videoCases")
    void videoPixelValuesAndGrid(String name, String folder) {
        VideoSources.VideoInput in = VideoSources.load(List.of(Fixtures.dir().resolve("videos").resolve(folder).toString()));
        PixelValues pv = in.process(new VideoProcessor(PreprocessorConfig.load(Fixtures.modelDir())), VisionOptions.DEFAULT);
        String key = "tiny/" + name;
        try (SafeTensors st = SafeTensors.open(Fixtures.dir().resolve("golden_tiny.safetensors"))) {
            assertArrayEquals(st.tensor(key + "/video_grid_thw").toLongArray(), pv.grid().thw());
            PreprocessFixtureTest.assertMaxAbsDiff(st.tensor(key + "/pixel_values_videos").toFloatArray(), pv.data(), 1e-6);
        }
    }
}
