package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the benchmark end to end on the tiny fixture model, with small sizes (speed itself is never asserted). */
class BenchCommandTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl");

    @Test
    void jsonHasTheMachineAndEveryRequestedFigureWithItsFraction() throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("bench", "--model", TINY.toString(), "--only", "vision,vision1280,prefill,decode,decode4k,profile,attention",
                "--format", "json", "--prompt-tokens", "9", "--decode-tokens", "2", "--long-context", "20", "--bandwidth-mib", "16",
                "--image-grid", "4x4", "--large-image-grid", "4x8");
        assertEquals(0, rc, err.toString());
        JsonNode root = new ObjectMapper().readTree(out.toString());
        JsonNode machine = root.get("machine");
        assertTrue(machine.get("read_gb_s").asDouble() > 0, out.toString());
        assertTrue(machine.get("fma_gflop_s").asDouble() > 0, out.toString());
        assertTrue(machine.get("threads").asInt() >= 1, out.toString());
        JsonNode r = root.get("results").get(0);
        assertEquals("bf16", r.get("format").asText(), out.toString());
        assertEquals("java", r.get("backend").asText(), out.toString());
        for (String field : new String[] {"load_s", "vision_448_s", "vision_1280tok_s", "prefill_tok_s", "decode_tok_s", "decode_4k_tok_s",
                "peak_rss_bytes", "weight_bytes_per_token", "vision_448_of_bound", "prefill_of_bound", "decode_of_bound", "decode_4k_of_bound"}) {
            assertTrue(r.has(field) && r.get(field).asDouble() > 0, field + " in " + out);
        }
        // decode and the attention kernels are timed once the JIT has settled: whole windows of eight warm-up steps first
        for (String field : new String[] {"decode_warmup_steps", "decode_4k_warmup_steps"}) {
            assertTrue(r.has(field) && r.get(field).asInt() >= 8 && r.get(field).asInt() % 8 == 0, field + " in " + out);
        }
        for (String field : new String[] {"attention_warmup_runs", "prefill_attention_warmup_runs"}) {
            JsonNode runs = r.get("kernels").get(field);
            assertTrue(runs != null && runs.asInt() >= 8 && runs.asInt() % 8 == 0, field + " in " + out);
        }
        JsonNode profile = r.get("decode_profile");
        double parts = 0;
        for (JsonNode ms : profile.get("products")) parts += ms.asDouble();
        assertTrue(profile.get("products").has("lm_head") && profile.get("products").has("qkv"), out.toString());
        assertEquals(profile.get("products_ms").asDouble(), parts, 1e-3 * parts + 1e-3, "the kinds add up: " + profile);
        assertEquals(profile.get("step_ms").asDouble(), profile.get("products_ms").asDouble() + profile.get("other_ms").asDouble(),
                1e-3 * profile.get("step_ms").asDouble() + 1e-3, profile.toString());
    }

    @Test
    void severalFormatsRunInJvmsOfTheirOwnAndShareOneMachineMeasurement() throws Exception {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--formats", "bf16,q8_0", "--only", "prefill,decode",
                "--format", "json", "--prompt-tokens", "5", "--decode-tokens", "2", "--bandwidth-mib", "16");
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode root = new ObjectMapper().readTree(r.stdout());
        assertTrue(root.get("machine").get("read_gb_s").asDouble() > 0, r.stdout());
        JsonNode results = root.get("results");
        assertEquals(2, results.size(), r.stdout());
        assertEquals("q8_0", results.get(1).get("format").asText(), r.stdout());
        long bf16Bytes = results.get(0).get("weight_bytes_per_token").asLong(), q8Bytes = results.get(1).get("weight_bytes_per_token").asLong();
        assertTrue(q8Bytes < bf16Bytes, "q8_0 reads fewer bytes per token: " + q8Bytes + " vs " + bf16Bytes);
        for (JsonNode result : results) {
            for (String field : new String[] {"load_s", "prefill_tok_s", "decode_tok_s", "peak_rss_bytes", "prefill_of_bound", "decode_of_bound"}) {
                assertTrue(result.has(field) && result.get(field).asDouble() > 0, field + " in " + r.stdout());
            }
        }
        assertTrue(r.stderr().contains("== q8_0 f32 (a JVM of its own) =="), r.stderr());
    }

    @Test
    void precisionsAndVectorWidthsRunInJvmsOfTheirOwnWithTheirFieldsAndTheMatmulPeaks() throws Exception {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--precision", "f32,bf16", "--vector-bits", "128", "--only", "prefill,batch",
                "--format", "json", "--prompt-tokens", "5", "--decode-tokens", "2", "--bandwidth-mib", "16");
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode root = new ObjectMapper().readTree(r.stdout());
        JsonNode machine = root.get("machine");
        assertTrue(machine.get("f32_gemm_gflop_s").asDouble() > 0, r.stdout());
        assertTrue(machine.has("bf16_matmul_gflop_s") && machine.get("onednn_f32_gflop_s").asDouble() > 0, r.stdout());
        JsonNode results = root.get("results");
        assertEquals(2, results.size(), r.stdout());
        assertEquals("f32", results.get(0).get("precision").asText(), r.stdout());
        assertEquals("bf16", results.get(1).get("precision").asText(), r.stdout());
        for (JsonNode result : results) {
            assertEquals(128, result.get("vector_bits").asInt(), "the child ran at the width asked for: " + r.stdout());
            assertTrue(result.get("implementation").asText().contains("128-bit"), r.stdout());
            for (String field : new String[] {"prefill_tok_s", "batched_decode_4_tok_s", "batched_decode_8_tok_s", "batched_decode_8_of_bound"}) {
                assertTrue(result.has(field) && result.get(field).asDouble() > 0, field + " in " + r.stdout());
            }
        }
        JsonNode bf16 = results.get(1);
        assertTrue(bf16.get("prefill_vs_f32").asDouble() > 0 && bf16.get("batched_decode_8_vs_f32").asDouble() > 0, r.stdout());
        boolean native16 = !machine.get("bf16_matmul_gflop_s").isNull();
        assertEquals(native16 ? "onednn" : "java", bf16.get("backend").asText(), r.stdout());
        if (!native16) assertTrue(bf16.get("notice").asText().contains("computes in f32"), r.stdout());
        assertTrue(r.stderr().contains("== bf16 bf16 at 128-bit vectors (a JVM of its own) =="), r.stderr());
    }

    @Test
    void severalBackendsAreComparedWithTheJavaRun() throws Exception {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--backend", "java,onednn", "--only", "prefill",
                "--format", "json", "--prompt-tokens", "8", "--decode-tokens", "2", "--bandwidth-mib", "16");
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode results = new ObjectMapper().readTree(r.stdout()).get("results");
        assertEquals(2, results.size(), r.stdout());
        assertEquals("java", results.get(0).get("backend").asText(), r.stdout());
        assertEquals("onednn", results.get(1).get("backend").asText(), r.stdout());
        assertTrue(results.get(1).get("implementation").asText().startsWith("oneDNN 3."), r.stdout());
        assertTrue(results.get(1).get("prefill_vs_java").asDouble() > 0, r.stdout());
    }

    @Test
    void aVectorWidthBeyondTheCpuOrAnUnknownPrecisionIsRefusedWithTheAllowedOnes() {
        CliRun wide = CliRun.of("bench", "--model", TINY.toString(), "--vector-bits", "1024", "--only", "decode");
        assertTrue(wide.exitCode() != 0);
        assertTrue(wide.stderr().contains("--vector-bits 1024") && wide.stderr().contains("allowed: 128"), wide.stderr());
        CliRun precision = CliRun.of("bench", "--model", TINY.toString(), "--precision", "f32,fp8", "--only", "decode");
        assertTrue(precision.exitCode() != 0);
        assertTrue(precision.stderr().contains("--precision") && precision.stderr().contains("'fp8'") && precision.stderr().contains("f32, bf16"),
                precision.stderr());
    }

    @Test
    void unknownFormatIsRefusedNamingTheOption() {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--formats", "bf16,q3_k", "--only", "decode");
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("--formats") && r.stderr().contains("q3_k"), r.stderr());
    }

    @Test
    void weightsIsAnAliasOfFormats() {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--weights", "bf16,q3_k", "--only", "decode");
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("q3_k"), r.stderr());
    }

    @Test
    void unknownBackendIsRefusedWithTheAvailableOnes() {
        CliRun r = CliRun.of("bench", "--model", TINY.toString(), "--backend", "cuda", "--only", "decode");
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("--backend must be one of auto, java") && r.stderr().contains("found 'cuda'"), r.stderr());
    }

    /**
     * Bad sizes are refused by their flag before anything is generated or measured: a bad --image-grid was found only once
     * the 4.4 GB random model had been written and loaded, and with --only machine never (the machine was measured).
     */
    @Test
    void badSizesAreRefusedByTheirFlagFirst(@TempDir Path tmp) {
        String[][] cases = {
                {"--image-grid", "31x32", "--image-grid '31x32': expected HxW in patches, both even and at least 2"},
                {"--large-image-grid", "0x0", "--large-image-grid '0x0': expected HxW in patches"},
                {"--prompt-tokens", "0", "--prompt-tokens must be at least 1, found 0"},
                {"--bandwidth-mib", "1", "--bandwidth-mib must be at least 16, found 1"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of("bench", "--only", "machine", "--out", tmp.toString(), c[0], c[1]);
            assertTrue(r.exitCode() != 0, c[0]);
            assertTrue(r.stderr().startsWith("qwen2vl4j: " + c[2]), r.stderr());
            assertFalse(Files.exists(tmp.resolve("qwen2vl-2b-random-bf16")), "nothing generated for " + c[0]);
        }
    }

    @Test
    void unknownPartIsRefused() {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        assertTrue(cl.execute("bench", "--only", "everything") != 0);
        assertTrue(err.toString().contains("everything"), err.toString());
    }
}
