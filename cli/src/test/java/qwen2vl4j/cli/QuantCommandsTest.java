package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertFalse(Files.exists(out.resolve("model.safetensors.partial")));
        // was "0 tensors quantized to q4_0, 57 kept": a copy of the q8_0 weights under the name asked for
        RunCommandTest.assertOneLineError(CliRun.of("quantize", "--model", out.toString(), "--format", "q4_0", tmp.resolve("again").toString()),
                "is already quantized", "q8_0", "quantize the bf16 model folder");
        assertFalse(Files.exists(tmp.resolve("again")));
    }

    /** An empty OUT wrote the model into the working directory; a subfolder of the model folder was filled; a file gave "cannot write X: X". */
    @Test
    void quantizeRefusesAnEmptyAFileOrAnInsideOutputFolder() throws Exception {
        RunCommandTest.assertOneLineError(CliRun.of("quantize", "--model", TINY.toString(), "--format", "q8_0", ""),
                "OUT must name the output folder, found ''");
        Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
        RunCommandTest.assertOneLineError(CliRun.of("quantize", "--model", TINY.toString(), "--format", "q8_0", file.toString()),
                "OUT " + file + " is a file");
        Path inside = TINY.resolve("q8");
        RunCommandTest.assertOneLineError(CliRun.of("quantize", "--model", TINY.toString(), "--format", "q8_0", inside.toString()),
                "is inside the model folder", "give a folder outside it");
        assertFalse(Files.exists(inside));
        RunCommandTest.assertOneLineError(CliRun.of("quantize", "--model", TINY.toString(), "--format", "bf16", tmp.resolve("x").toString()),
                "--format must be q8_0 or q4_0, found 'bf16'");
    }

    @Test
    void quantizeRefusesAnUnknownFormat() {
        CliRun r = CliRun.of("quantize", "--model", TINY.toString(), "--format", "q5_k", tmp.resolve("x").toString());
        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().contains("q5_k"), r.stderr());
    }
}
