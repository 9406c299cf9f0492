package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Weights;

/** quant-bench and quantize end to end, on small shapes and the tiny fixture model (speed itself is never asserted). */
class QuantCommandsTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl");

    @TempDir
    Path tmp;

    @Test
    void quantBenchPrintsEveryFormatAndKernelPerShape() {
        CliRun r = CliRun.of("quant-bench", "--shapes", "37x64,5x96", "--seconds", "0.05", "--footprint-mb", "1", "--bandwidth-mib", "8");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("37x64          read bandwidth"), r.stdout());
        for (String shape : new String[] {"37x64", "5x96"}) {
            for (String row : new String[] {"bf16   vector", "q8_0   integer", "q8_0   baseline", "q8_0   widening", "q4_0   integer", "q4_0   baseline",
                    "q4_0   widening"}) {
                assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith(shape) && l.contains(row) && l.endsWith("%")), shape + " " + row + " in\n" + r.stdout());
            }
        }
    }

    @Test
    void quantBenchRefusesColumnsThatAreNotWholeBlocks() {
        CliRun r = CliRun.of("quant-bench", "--shapes", "10x33");
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("10x33") && r.stderr().contains("32"), r.stderr());
    }

    @Test
    void quantizeWritesAFolderThatLoadsMapped() {
        Path out = tmp.resolve("tiny-q8");
        CliRun r = CliRun.of("quantize", "--model", TINY.toString(), "--format", "q8_0", out.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("quantized to q8_0"), r.stdout());
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("tokenizer.json")));
        try (Weights w = Weights.open(out)) {
            assertTrue(w.all().values().stream().anyMatch(t -> t.dtype() == DType.Q8_0), w.all().toString());
        }
        CliRun run = CliRun.of("run", "--model", out.toString(), "--max-tokens", "3", "--prompt", "hello", "-q");
        assertEquals(0, run.exitCode(), run.stderr());
    }

    @Test
    void quantizeRefusesAnUnknownFormat() {
        CliRun r = CliRun.of("quantize", "--model", TINY.toString(), "--format", "q5_k", tmp.resolve("x").toString());
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("q5_k"), r.stderr());
    }
}
