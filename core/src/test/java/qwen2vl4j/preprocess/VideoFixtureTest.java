package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import qwen2vl4j.io.SafeTensors;

/** Every case of {@code video.json}: frame lists (odd counts padded) to {@code pixel_values_videos}. */
class VideoFixtureTest {
    @TestFactory
    List<DynamicTest> videoCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("video.json")) {
            tests.add(DynamicTest.dynamicTest(c.get("key").asText(), () -> checkCase(c)));
        }
        assertTrue(tests.size() >= 2, "expected the public video cases");
        return tests;
    }

    private static void checkCase(JsonNode c) {
        String folder = c.get("key").asText().substring("vid/".length());
        List<String> frames = new ArrayList<>();
        for (JsonNode f : c.get("frames")) {
            frames.add(Fixtures.dir().resolve("videos").resolve(folder).resolve(f.asText()).toString());
        }
        VideoSources.VideoInput input = VideoSources.load(frames);
        PreprocessorConfig cfg = PreprocessorConfig.load(Fixtures.modelDir());
        PixelValues pv = input.process(new VideoProcessor(cfg), VisionOptions.DEFAULT);
        assertArrayEquals(Fixtures.longs(c.get("grid_thw")), pv.grid().thw(), "video_grid_thw");
        assertArrayEquals(Fixtures.longs(c.get("shape")), new long[] {pv.rows(), pv.cols()}, "shape");
        try (SafeTensors st = SafeTensors.open(Fixtures.dir().resolve("video.safetensors"))) {
            float[] ref = st.tensor(c.get("pixel_values_videos").asText()).toFloatArray();
            PreprocessFixtureTest.assertMaxAbsDiff(ref, pv.data(), 1e-6);
        }
    }

    @TestFactory
    List<DynamicTest> aFolderGivesTheSameFramesAsTheFileList() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("video.json")) {
            String folder = c.get("key").asText().substring("vid/".length());
            Path dir = Fixtures.dir().resolve("videos").resolve(folder);
            tests.add(DynamicTest.dynamicTest(folder, () -> {
                VideoSources.VideoInput fromFolder = VideoSources.load(List.of(dir.toString()));
                List<String> files = new ArrayList<>();
                for (JsonNode f : c.get("frames")) files.add(dir.resolve(f.asText()).toString());
                VideoSources.VideoInput fromFiles = VideoSources.load(files);
                assertTrue(fromFolder.fps() == null, "a folder of frames is not sampled");
                assertArrayEquals(fromFiles.frames().toArray(), fromFolder.frames().toArray());
            }));
        }
        return tests;
    }
}
