package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.TextConfig;

/** {@code --kv-cache}: run answers with a 16-bit cache, bench reports its bytes per token, bad names are refused. */
class KvCacheOptionTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl");

    @Test
    void runAnswersWithEachCacheType() throws Exception {
        for (String type : new String[] {"f32", "bf16", "f16"}) {
            CliRun r = CliRun.of("run", "--model", TINY.toString(), "--prompt", "Hello, who are you?", "--greedy", "--ignore-eos",
                    "--max-tokens", "4", "--format", "json", "--kv-cache", type);
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals(4, new ObjectMapper().readTree(r.stdout()).get("usage").get("completion_tokens").asInt(), r.stdout());
        }
    }

    @Test
    void benchReportsTheCacheTypeItsBytesPerTokenAndTheAttentionMeasure() throws Exception {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--only", "attention,decode", "--kv-cache", "bf16", "--format", "json",
                "--decode-tokens", "2", "--long-context", "40", "--bandwidth-mib", "16");
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode result = new ObjectMapper().readTree(r.stdout()).get("results").get(0);
        TextConfig t = ModelConfig.load(TINY).text();
        assertEquals("bf16", result.get("kv_cache").asText(), r.stdout());
        assertEquals(2L * t.numHiddenLayers() * t.kvDim() * 2, result.get("kv_bytes_per_token").asLong(), r.stdout());
        assertTrue(result.get("kernels").get("attention_speedup").asDouble() > 0, r.stdout());
        assertTrue(result.get("decode_tok_s").asDouble() > 0, r.stdout());
    }

    @Test
    void anUnknownTypeIsRefusedWithTheAcceptedNames() {
        CliRun r = CliRun.of("run", "--model", TINY.toString(), "--prompt", "x", "--kv-cache", "fp8");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("--kv-cache") && r.stderr().contains("fp8") && r.stderr().contains("bf16"), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(!r.stderr().contains("java.lang"), r.stderr());
    }
}
