package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code --weights}, {@code --threads}, {@code --min-pixels} / {@code --max-pixels}: taken by run, refused with the range when wrong. */
class LoadOptionsMixinTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl");
    private static final String IMAGE = Path.of(System.getProperty("fixtures.dir"), "images", "exact_224x224.png").toString();

    @Test
    void runAnswersWithQuantizedWeights() throws Exception {
        for (String format : new String[] {"bf16", "q8_0", "Q4_0"}) {
            CliRun r = CliRun.of("run", "--model", TINY.toString(), "--prompt", "Hello", "--greedy", "--ignore-eos",
                    "--max-tokens", "3", "--format", "json", "--weights", format, "--threads", "1");
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals(3, new ObjectMapper().readTree(r.stdout()).get("usage").get("completion_tokens").asInt(), r.stdout());
        }
    }

    @Test
    void maxPixelsLowersTheImageTokens() throws Exception {
        CliRun full = CliRun.of("run", "--model", TINY.toString(), "--image", IMAGE, "--prompt", "x", "--greedy", "--max-tokens", "1", "--format", "json");
        CliRun small = CliRun.of("run", "--model", TINY.toString(), "--image", IMAGE, "--prompt", "x", "--greedy", "--max-tokens", "1", "--format", "json",
                "--max-pixels", Integer.toString(112 * 112));
        assertEquals(0, full.exitCode(), full.stderr());
        assertEquals(0, small.exitCode(), small.stderr());
        ObjectMapper json = new ObjectMapper();
        assertEquals(64, json.readTree(full.stdout()).get("usage").get("image_tokens").asInt(), full.stdout());
        assertEquals(16, json.readTree(small.stdout()).get("usage").get("image_tokens").asInt(), small.stdout());
    }

    @Test
    void badValuesAreRefusedWithTheFlagAndRange() {
        CliRun w = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--weights", "q2_k");
        assertNotEquals(0, w.exitCode());
        assertTrue(w.stderr().contains("--weights") && w.stderr().contains("q2_k") && w.stderr().contains("q8_0"), w.stderr());
        assertFalse(w.stderr().contains("java.lang"), w.stderr());
        CliRun t = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--threads", "100000");
        assertNotEquals(0, t.exitCode());
        assertTrue(t.stderr().contains("--threads"), t.stderr());
        CliRun p = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--min-pixels", "90000", "--max-pixels", "50000");
        assertNotEquals(0, p.exitCode());
        assertTrue(p.stderr().contains("--min-pixels") && p.stderr().contains("--max-pixels"), p.stderr());
        CliRun b = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--backend", "cuda");
        assertNotEquals(0, b.exitCode());
        assertTrue(b.stderr().contains("--backend must be one of auto, java") && b.stderr().contains("found 'cuda'"), b.stderr());
        CliRun i = CliRun.of("run", "--model", TINY.toString(), "--image", "", "--prompt", "x");
        assertNotEquals(0, i.exitCode());
        assertTrue(i.stderr().contains("image path is empty"), i.stderr());
        refused("--max-pixels must be in [784, 178956970] pixels", "--max-pixels", "0");
        refused("--min-pixels must be in [784, 178956970] pixels", "--min-pixels", "-5");
        refused("--max-pixels must be in [784, 178956970] pixels", "--max-pixels", "200000000");
        refused("--video-max-pixels must be in [784, 178956970] pixels", "--video-max-pixels", "100");
        refused("--max-pixels 1000 is below the model's min_pixels 3136 (preprocessor_config.json): --max-pixels must be in [3136, ",
                "--max-pixels", "1000");
        refused("--fps must be in (0, 60]", "--fps", "0");
        refused("--max-frames must be in [2, 768]", "--max-frames", "1");
        refused("--max-frames must be in [2, 768]", "--max-frames", "1000");
    }

    private static void refused(String message, String... flags) {
        for (String command : new String[] {"run", "chat", "serve"}) {
            String[] args = new String[flags.length + 3];
            args[0] = command;
            args[1] = "--model";
            args[2] = TINY.toString();
            System.arraycopy(flags, 0, args, 3, flags.length);
            CliRun r = command.equals("run") ? CliRun.of(concat(args, "--prompt", "x")) : CliRun.withStdin("", args);
            assertNotEquals(0, r.exitCode(), command + " " + String.join(" ", flags));
            assertTrue(r.stderr().contains(message), command + ": " + r.stderr());
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void costlyImagesAreAnnouncedWithHowToLowerThem() throws Exception {
        // --min-pixels upscales the 224x224 image to 1848x1848 = 4356 visual tokens
        String[] args = {"run", "--model", TINY.toString(), "--image", IMAGE, "--prompt", "x", "--greedy", "--max-tokens", "1",
                "--min-pixels", "3400000", "--max-pixels", "3500000"};
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("qwen2vl4j: these images or videos take 4356 visual tokens (over 4096: slow on a CPU); "
                + "--max-pixels 1003520 caps each image at 1280 tokens"), r.stderr());
        CliRun quiet = CliRun.of(concat(args, "-q"));
        assertEquals(0, quiet.exitCode(), quiet.stderr());
        assertEquals("", quiet.stderr());
        CliRun cheap = CliRun.of("run", "--model", TINY.toString(), "--image", IMAGE, "--prompt", "x", "--greedy", "--max-tokens", "1");
        assertFalse(cheap.stderr().contains("visual tokens"), cheap.stderr());
    }

    @Test
    void videoFlagsReachTheVideo() throws Exception {
        String frames = Path.of(System.getProperty("fixtures.dir"), "videos", "moving_8x168x224").toString();
        ObjectMapper json = new ObjectMapper();
        CliRun full = CliRun.of("run", "--model", TINY.toString(), "--video", frames, "--prompt", "x", "--greedy", "--max-tokens", "1", "--format", "json");
        CliRun small = CliRun.of("run", "--model", TINY.toString(), "--video", frames, "--prompt", "x", "--greedy", "--max-tokens", "1", "--format", "json",
                "--video-max-pixels", Integer.toString(56 * 84));
        assertEquals(0, full.exitCode(), full.stderr());
        assertEquals(0, small.exitCode(), small.stderr());
        int fullTokens = json.readTree(full.stdout()).get("usage").get("video_tokens").asInt();
        int smallTokens = json.readTree(small.stdout()).get("usage").get("video_tokens").asInt();
        assertEquals(4 * 6 * 8, fullTokens, full.stdout());
        // frames of 168x224 within 4704 pixels: 56x56, 2x2 tokens per pair of frames
        assertEquals(4 * 2 * 2, smallTokens, small.stdout());
    }
}
