package qwen2vl4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import qwen2vl4j.CheckpointQuantizer;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.io.WeightFormat;

/**
 * {@code quantize}: writes a copy of a model folder whose linear weights are GGUF Q8_0 or Q4_0 blocks
 * (a plain safetensors file: U8 tensors plus metadata); the copy then loads memory-mapped, without conversion.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a copy of a model folder with its linear weights quantized to Q8_0 or Q4_0 (loads mapped, no conversion).")
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder, or a Hugging Face repo id (downloaded when absent)")
    String model;

    @Option(names = "--format", required = true, paramLabel = "F", description = "q8_0 or q4_0")
    String format;

    @Parameters(index = "0", paramLabel = "OUT", description = "output folder (created; files in it are replaced)")
    Path output;

    @Override
    public Integer call() {
        WeightFormat f = format.equalsIgnoreCase("q8_0") ? WeightFormat.Q8_0 : format.equalsIgnoreCase("q4_0") ? WeightFormat.Q4_0 : null;
        if (f == null) throw new IllegalArgumentException("--format must be q8_0 or q4_0, found '" + format + "'");
        if (output.toString().isEmpty()) throw new IllegalArgumentException("OUT must name the output folder, found ''");
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new IllegalArgumentException("OUT " + output + " is a file: give a folder (created when missing)");
        }
        Path in = ModelResolver.resolveOrDownload(model);
        Path inside = in.toAbsolutePath().normalize(), target = output.toAbsolutePath().normalize();
        if (!target.equals(inside) && target.startsWith(inside)) {
            throw new IllegalArgumentException("OUT " + output + " is inside the model folder " + in + ": give a folder outside it");
        }
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        CheckpointQuantizer.Summary s = CheckpointQuantizer.write(in, output, f, null);
        out.printf("%s: %d tensors quantized to %s, %d kept; weights %.2f GB -> %.2f GB in %.1f s%n", output, s.quantized(), f, s.kept(),
                s.bytesBefore() / 1e9, s.bytesAfter() / 1e9, (System.nanoTime() - start) / 1e9);
        out.flush();
        return 0;
    }
}
