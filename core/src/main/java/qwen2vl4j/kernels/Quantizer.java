package qwen2vl4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Predicate;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;

/**
 * Quantizes float weights into GGUF blocks (Q8_0, Q4_0) with ggml's reference quantizers
 * ({@link QuantKernelsScalar}): whole matrices, a row at a time (no float copy of a matrix is ever made), rows
 * split across the {@link ComputePool}, into native memory (never the Java heap, whose size would have to grow to
 * hold them); and the load-time conversion of a model's weights ({@link #quantizeAtLoad}), which hands the pages of
 * each mapped source matrix back to the operating system once its blocks are made, so that a process holds one
 * copy of its weights, not two.
 */
public final class Quantizer {
    /** Alignment of the blocks in native memory: a cache line. */
    static final long ALIGNMENT = 64;

    private Quantizer() {}

    /** Where the rows of a matrix come from: row {@code r} as float32 into {@code dst[off..off+cols)}. */
    @FunctionalInterface
    interface RowSource {
        void row(int r, float[] dst, int off);
    }

    /** Whether {@code t} can be quantized: a 2-D float tensor whose rows are whole blocks of 32. */
    public static boolean canQuantize(Tensor t) {
        return t.shape().length == 2 && !t.dtype().isQuantized()
                && (t.dtype() == DType.BF16 || t.dtype() == DType.F16 || t.dtype() == DType.F32)
                && t.shape()[1] % QuantKernelsScalar.BLOCK == 0;
    }

    /**
     * The 2-D float tensor {@code t} quantized to {@code type}: same name and logical shape, the blocks in native
     * memory of {@code arena} (valid while it is open; not a confined arena: the pool's threads write the blocks).
     * {@code t} is left as it is.
     *
     * @throws IllegalArgumentException when {@code t} is not 2-D float with a multiple of 32 columns
     */
    public static Tensor quantize(Tensor t, DType type, Arena arena) {
        if (!canQuantize(t)) {
            throw new IllegalArgumentException("tensor " + t + " in " + t.file() + " cannot be quantized to " + type
                    + ": it needs 2 dimensions, a float dtype and a multiple of 32 columns");
        }
        Matrix m = Matrix.of(t);
        MemorySegment blocks = quantize(t.name(), m.rows(), m.cols(), type, m::row, arena);
        return new Tensor(t.name(), type, t.shape().clone(), blocks, t.file() + " (quantized to " + type + " at load)", t.device());
    }

    /**
     * {@code weights} with every tensor that {@code include} accepts and {@link #canQuantize} allows
     * quantized to {@code type} at load time, the blocks in native memory that the returned instance owns (closing
     * it frees them); the others stay as they are (mapped). Each quantized tensor's mapped pages are released
     * ({@link #release}) as soon as its blocks are made: reading it again (from {@code weights}) maps them back in.
     * Closing either instance closes the files. Nothing is kept when this throws.
     */
    public static Weights quantizeAtLoad(Weights weights, DType type, Predicate<String> include) {
        Arena arena = Arena.ofShared();
        try {
            return weights.converted(t -> {
                if (!include.test(t.name()) || !canQuantize(t)) return t;
                Tensor q = quantize(t, type, arena);
                release(t.data());
                return q;
            }, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Drops the pages of {@code data} from this process when it is a slice of a mapped file
     * ({@link MemorySegment#unload}: the kernel unmaps them and they stop counting towards its resident set; the
     * file's page cache is untouched, so reading the data again only maps them back). Memory of any other kind is
     * left alone. The pages at either end may hold bytes of neighbouring tensors: those are mapped back in on their
     * next read, like any page of a mapped file.
     */
    public static void release(MemorySegment data) {
        if (data.isMapped() && data.byteSize() > 0) data.unload();
    }

    static MemorySegment quantize(String name, int rows, int cols, DType type, RowSource source, Arena arena) {
        if (!type.isQuantized()) throw new IllegalArgumentException("matrix " + name + ": " + type + " is not a block-quantized type");
        if (cols % QuantKernelsScalar.BLOCK != 0) {
            throw new IllegalArgumentException("matrix " + name + " [" + rows + ", " + cols + "] cannot be quantized to " + type
                    + ": its rows are not whole blocks of " + QuantKernelsScalar.BLOCK + " values");
        }
        long rowBytes = type.byteSize(cols);
        MemorySegment out;
        try {
            out = arena.allocate(rowBytes * rows, ALIGNMENT);
        } catch (OutOfMemoryError e) {
            OutOfMemoryError named = new OutOfMemoryError("matrix " + name + " [" + rows + ", " + cols + "]: cannot allocate "
                    + rowBytes * rows + " bytes of native memory for its " + type + " blocks");
            named.initCause(e);
            throw named;
        }
        int tasks = Math.min(rows, ComputePool.threads() * 4);
        ComputePool.forEach(tasks, t -> {
            float[] row = new float[cols];
            for (int r = (int) ((long) rows * t / tasks), end = (int) ((long) rows * (t + 1) / tasks); r < end; r++) {
                source.row(r, row, 0);
                QuantKernelsScalar.quantize(type, row, 0, cols, out, r * rowBytes);
            }
        });
        return out;
    }
}
