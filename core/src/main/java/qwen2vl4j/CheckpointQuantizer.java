package qwen2vl4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensorsWriter;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Quantizer;

/**
 * Which matrices of a Qwen2-VL checkpoint are quantized, and the {@code quantize} command's work:
 * a model folder written once with those matrices in GGUF blocks (see
 * {@link qwen2vl4j.io.QuantizedTensors}), which then loads memory-mapped with no conversion.
 */
public final class CheckpointQuantizer {
    private static final long CHUNK = 64L << 20;

    private CheckpointQuantizer() {}

    /** What {@link #write} produced: tensors quantized, and the weight bytes before and after. */
    public record Summary(int quantized, int kept, long bytesBefore, long bytesAfter) {}

    /**
     * The tensors quantized for Q8_0/Q4_0 (those {@link Quantizer#canQuantize} allows): every linear weight
     * of the text decoder and the vision tower; the token embedding only when it is also the LM head, and
     * {@code lm_head.weight} only when it is used.
     */
    public static Predicate<String> quantizable(Weights weights, ModelConfig config) {
        boolean embeddingIsHead = CheckpointLayout.lmHeadName(config.text(), weights).equals(CheckpointLayout.EMBED_TOKENS);
        return name -> name.equals(CheckpointLayout.EMBED_TOKENS) ? embeddingIsHead
                : !(name.equals(CheckpointLayout.LM_HEAD) && embeddingIsHead);
    }

    /**
     * {@code weights} with the matrices {@code format} asks for quantized into native memory that the returned
     * instance owns, their mapped bf16 pages released ({@link Quantizer#quantizeAtLoad}); unchanged for bf16.
     */
    public static Weights quantizeAtLoad(Weights weights, ModelConfig config, WeightFormat format) {
        if (format.quantizedType() == null) return weights;
        return Quantizer.quantizeAtLoad(weights, format.quantizedType(), quantizable(weights, config));
    }

    /**
     * Writes {@code out} (created if needed; must not be {@code in}): every file of {@code in} except the
     * safetensors weights copied, and one {@code model.safetensors} holding all tensors, those of
     * {@link #quantizable} in {@code format}, the rest as stored. Tensors are converted one at a time, each one's
     * blocks freed and its mapped pages released once written, so the process holds about one tensor at a time.
     *
     * @param progress told one line per tensor; may be null
     */
    public static Summary write(Path in, Path out, WeightFormat format, Consumer<String> progress) {
        if (format.quantizedType() == null) throw new IllegalArgumentException("quantize needs q8_0 or q4_0, not " + format);
        DType type = format.quantizedType();
        try {
            if (Files.exists(out) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException("output folder " + out + " is the model folder itself");
            }
            ModelConfig config = ModelConfig.load(in);
            try (Weights weights = Weights.open(in)) {
                CheckpointLayout.verify(weights, config);
                for (Tensor t : weights.all().values()) {
                    if (t.dtype().isQuantized()) {
                        throw new IllegalArgumentException("model " + in + " is already quantized (" + t.name() + " is "
                                + t.dtype().toString().toLowerCase(Locale.ROOT) + "): quantize the bf16 model folder it came from");
                    }
                }
                Predicate<String> include = quantizable(weights, config);
                List<SafeTensorsWriter.TensorSpec> specs = new ArrayList<>();
                int quantized = 0;
                long before = 0, after = 0;
                for (Tensor t : weights.all().values()) {
                    boolean q = include.test(t.name()) && Quantizer.canQuantize(t);
                    DType dtype = q ? type : t.dtype();
                    specs.add(new SafeTensorsWriter.TensorSpec(t.name(), dtype, t.shape()));
                    before += t.data().byteSize();
                    after += dtype.byteSize(t.numel());
                    if (q) quantized++;
                }
                Files.createDirectories(out);
                // written beside its final name and moved there once complete: a failure leaves no truncated weights
                Path partial = out.resolve("model.safetensors.partial");
                try (SafeTensorsWriter.Streaming w = SafeTensorsWriter.stream(partial, specs)) {
                    for (SafeTensorsWriter.TensorSpec s : specs) {
                        Tensor t = weights.tensor(s.name());
                        try (Arena blocks = Arena.ofShared()) {       // the one tensor's blocks, freed once written
                            MemorySegment data = s.dtype() == t.dtype() ? t.data() : Quantizer.quantize(t, type, blocks).data();
                            for (long o = 0; o < data.byteSize(); o += CHUNK) {
                                w.write(data.asSlice(o, Math.min(CHUNK, data.byteSize() - o)).asByteBuffer());
                            }
                        }
                        Quantizer.release(t.data());                   // its mapped pages: done with
                        if (progress != null) progress.accept(s.name() + " " + s.dtype());
                    }
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(partial);
                    throw e;
                }
                copyOtherFiles(in, out);
                Files.move(partial, out.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return new Summary(quantized, specs.size() - quantized, before, after);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write quantized model " + out + ": " + reason(e), e);
        }
    }

    private static void copyOtherFiles(Path in, Path out) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f) || name.endsWith(".safetensors") || name.equals("model.safetensors.index.json")) continue;
                Files.copy(f, out.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** What went wrong, for a file-system error whose message is only the path (e.g. {@code AccessDeniedException}). */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            String what = f.getReason() != null ? f.getReason() : switch (f) {
                case AccessDeniedException a -> "permission denied";
                case NoSuchFileException n -> "no such file or folder";
                case FileAlreadyExistsException x -> "already exists";
                default -> f.getClass().getSimpleName();
            };
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + what;
        }
        return e.getMessage();
    }
}
