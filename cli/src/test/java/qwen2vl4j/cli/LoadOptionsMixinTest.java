package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertTrue(w.stderr().contains("q2_k") && w.stderr().contains("q8_0"), w.stderr());
        CliRun t = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--threads", "100000");
        assertNotEquals(0, t.exitCode());
        assertTrue(t.stderr().contains("--threads"), t.stderr());
        CliRun p = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--min-pixels", "90000", "--max-pixels", "50000");
        assertNotEquals(0, p.exitCode());
        assertTrue(p.stderr().contains("--min-pixels") && p.stderr().contains("--max-pixels"), p.stderr());
    }
}
