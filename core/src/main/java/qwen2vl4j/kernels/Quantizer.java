package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.util.function.Predicate;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;

/**
 * Quantizes float weights into GGUF blocks (Q8_0, Q4_0) with ggml's reference quantizers
 * ({@link QuantKernelsScalar}): whole matrices, rows split across the {@link ComputePool}, into heap
 * memory; and the load-time conversion of a model's weights ({@link #quantizeAtLoad}).
 */
public final class Quantizer {
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
     * The 2-D float tensor {@code t} quantized to {@code type}: same name and logical shape, the blocks
     * on the heap.
     *
     * @throws IllegalArgumentException when {@code t} is not 2-D float with a multiple of 32 columns
     */
    public static Tensor quantize(Tensor t, DType type) {
        if (!canQuantize(t)) {
            throw new IllegalArgumentException("tensor " + t + " in " + t.file() + " cannot be quantized to " + type
                    + ": it needs 2 dimensions, a float dtype and a multiple of 32 columns");
        }
        Matrix m = Matrix.of(t);
        MemorySegment blocks = quantize(t.name(), m.rows(), m.cols(), type, m::row);
        return new Tensor(t.name(), type, t.shape().clone(), blocks, t.file() + " (quantized to " + type + " at load)", t.device());
    }

    /**
     * {@code weights} with every tensor that {@code include} accepts and {@link #canQuantize} allows
     * quantized to {@code type} at load time; the others stay as they are (mapped). Closing either
     * closes the files.
     */
    public static Weights quantizeAtLoad(Weights weights, DType type, Predicate<String> include) {
        return weights.converted(t -> include.test(t.name()) && canQuantize(t) ? quantize(t, type) : t);
    }

    static MemorySegment quantize(String name, int rows, int cols, DType type, RowSource source) {
        if (!type.isQuantized()) throw new IllegalArgumentException("matrix " + name + ": " + type + " is not a block-quantized type");
        if (cols % QuantKernelsScalar.BLOCK != 0) {
            throw new IllegalArgumentException("matrix " + name + " [" + rows + ", " + cols + "] cannot be quantized to " + type
                    + ": its rows are not whole blocks of " + QuantKernelsScalar.BLOCK + " values");
        }
        long rowBytes = type.byteSize(cols);
        long total = rowBytes * rows;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrix " + name + " [" + rows + ", " + cols + "] is too large to quantize on the heap");
        }
        MemorySegment out = MemorySegment.ofArray(new byte[(int) total]);
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
