package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.Tensor;

class PreprocessCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir"));
    private static final String MODEL = FIXTURES.resolve("models/tiny-qwen2vl").toString();

    @Test
    void imageWritesPixelValuesGridAndResizedPixelsMatchingTheReference(@TempDir Path dir) {
        Path file = dir.resolve("odd.safetensors");
        CliRun r = CliRun.of("preprocess", "--model", MODEL, "--image", FIXTURES.resolve("images/odd_171x129.png").toString(),
                "--out", file.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        String key = "pre/odd_171x129.png/pil/3136-12845056";
        try (SafeTensors mine = SafeTensors.open(file); SafeTensors ref = SafeTensors.open(FIXTURES.resolve("preprocess.safetensors"))) {
            Tensor grid = mine.tensor("image_grid_thw");
            assertEquals(DType.I64, grid.dtype());
            assertArrayEquals(new long[] {1, 10, 12}, grid.toLongArray());
            Tensor pv = mine.tensor("pixel_values");
            assertEquals(DType.F32, pv.dtype());
            assertArrayEquals(new long[] {120, 1176}, pv.shape());
            float[] expected = ref.tensor(key + "/pixel_values").toFloatArray();
            float[] actual = pv.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-6, "pixel_values[" + i + "]");
            }
            Tensor rgb = mine.tensor("resized_rgb");
            assertEquals(DType.U8, rgb.dtype());
            assertArrayEquals(new long[] {140, 168, 3}, rgb.shape());
            assertArrayEquals(ref.tensor(key + "/resized_rgb").toByteArray(), rgb.toByteArray());
        }
    }

    @Test
    void pixelBoundsOptionsChangeTheSize(@TempDir Path dir) {
        Path file = dir.resolve("small.safetensors");
        CliRun r = CliRun.of("preprocess", "--model", MODEL, "--image", FIXTURES.resolve("images/gradient_640x480.png").toString(),
                "--min-pixels", "50176", "--max-pixels", "100352", "--out", file.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        try (SafeTensors mine = SafeTensors.open(file); SafeTensors ref = SafeTensors.open(FIXTURES.resolve("preprocess.safetensors"))) {
            assertArrayEquals(new long[] {1, 18, 26}, mine.tensor("image_grid_thw").toLongArray());
            assertArrayEquals(ref.tensor("pre/gradient_640x480.png/pil/50176-100352/resized_rgb").toByteArray(),
                    mine.tensor("resized_rgb").toByteArray());
        }
    }

    @Test
    void videoFolderWritesPixelValuesVideos(@TempDir Path dir) {
        Path file = dir.resolve("video.safetensors");
        CliRun r = CliRun.of("preprocess", "--model", MODEL, "--video", FIXTURES.resolve("videos/odd_5x112x140").toString(),
                "--out", file.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        try (SafeTensors mine = SafeTensors.open(file); SafeTensors ref = SafeTensors.open(FIXTURES.resolve("video.safetensors"))) {
            assertArrayEquals(new long[] {1, 3}, mine.tensor("video_grid_thw").shape());
            assertArrayEquals(new long[] {3, 8, 10}, mine.tensor("video_grid_thw").toLongArray());
            float[] expected = ref.tensor("vid/odd_5x112x140/pixel_values_videos").toFloatArray();
            float[] actual = mine.tensor("pixel_values_videos").toFloatArray();
            assertEquals(expected.length, actual.length);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-6, "pixel_values_videos[" + i + "]");
        }
    }

    @Test
    void badInputExitsNonZeroWithOneLine(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.png"), "not an image");
        Path file = dir.resolve("x.safetensors");
        CliRun r = CliRun.of("preprocess", "--model", MODEL, "--image", bad.toString(), "--out", file.toString());
        assertTrue(r.exitCode() != 0);
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("bad.png"), r.stderr());
        assertFalse(Files.exists(file));

        CliRun missing = CliRun.of("preprocess", "--model", MODEL, "--image", dir.resolve("none.png").toString(), "--out", file.toString());
        assertTrue(missing.exitCode() != 0);
        assertTrue(missing.stderr().contains("does not exist"), missing.stderr());

        // were "need 0 < min_pixels <= max_pixels, found -5, ..." / "min_pixels must be positive" / "cannot write : : Is a directory"
        String img = Path.of(System.getProperty("fixtures.dir", "../fixtures"), "images", "tiny_20x30.png").toString();
        String video = Path.of(System.getProperty("fixtures.dir", "../fixtures"), "videos", "moving_8x168x224").toString();
        RunCommandTest.assertOneLineError(CliRun.of("preprocess", "--model", MODEL, "--image", img, "--min-pixels", "-5", "--out", file.toString()),
                "--min-pixels must be in [784, 178956970] pixels", "got -5");
        RunCommandTest.assertOneLineError(CliRun.of("preprocess", "--model", MODEL, "--video", video, "--max-pixels", "1", "--out", file.toString()),
                "--max-pixels must be in [784, 178956970] pixels", "got 1");
        RunCommandTest.assertOneLineError(CliRun.of("preprocess", "--model", MODEL, "--image", img, "--out", ""),
                "--out must name a .safetensors file to write, found ''");
        RunCommandTest.assertOneLineError(CliRun.of("preprocess", "--model", MODEL, "--image", img, "--out", dir.toString()),
                "--out must name a .safetensors file to write, found the folder " + dir);
        assertFalse(Files.exists(file));

        CliRun http = CliRun.of("preprocess", "--model", MODEL, "--image", "https://example.com/a.png", "--out", file.toString());
        assertTrue(http.exitCode() != 0);
        assertTrue(http.stderr().contains("not supported"), http.stderr());
    }
}
