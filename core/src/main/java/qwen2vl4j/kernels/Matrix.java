package qwen2vl4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.Tensor;

/**
 * A weight matrix {@code [rows, cols]} as the checkpoint stores it (row-major, BF16, F16 or F32),
 * read straight from the mapped file, or block-quantized (Q8_0, Q4_0: each row its {@code cols / 32}
 * GGUF blocks, see {@link QuantKernelsScalar}), mapped from a quantized file or made at load time by
 * {@link #quantize}. Linear layers compute {@code y = x · Wᵀ}: one row per output. A matrix carries the
 * {@link ComputeBackend} its products run on ({@link #backend()}): that of its tensor's device, the
 * {@link JavaBackend} by default.
 */
public final class Matrix {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final int rows;
    private final int cols;
    private final DType dtype;
    private final MemorySegment data;
    private final ComputeBackend backend;

    private Matrix(String name, int rows, int cols, DType dtype, MemorySegment data, ComputeBackend backend) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.data = data;
        this.backend = backend;
    }

    /** A 2-D tensor as a matrix, on the tensor's device. */
    public static Matrix of(Tensor t) {
        if (t.shape().length != 2) {
            throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": expected 2 dimensions, found " + t.shape().length);
        }
        return of(t, t.dim(0), Math.toIntExact(t.numel() / t.dim(0)));
    }

    /** Any tensor viewed as {@code [rows, cols]} (e.g. a Conv3d kernel flattened per output channel), on the tensor's device. */
    public static Matrix of(Tensor t, int rows, int cols) {
        if ((long) rows * cols != t.numel()) {
            throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": cannot view " + t.numel() + " elements as [" + rows + ", " + cols + "]");
        }
        if (t.dtype().isQuantized()) {
            if (t.shape().length != 2 || t.dim(0) != rows || t.dim(1) != cols) {
                throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": a " + t.dtype() + " matrix cannot be viewed as ["
                        + rows + ", " + cols + "]");
            }
        } else if (t.dtype() != DType.BF16 && t.dtype() != DType.F16 && t.dtype() != DType.F32) {
            throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": dtype " + t.dtype() + " is not supported for weights (BF16, F16, F32, Q8_0 or Q4_0)");
        }
        return new Matrix(t.name(), rows, cols, t.dtype(), t.data(), backendOf(t));
    }

    private static ComputeBackend backendOf(Tensor t) {
        if (t.device() == null) return JavaBackend.INSTANCE;
        if (t.device() instanceof ComputeBackend b) return b;
        throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": device " + t.device().name() + " is not a compute backend");
    }

    /**
     * A matrix over the first {@code rows × cols} values of float data already in memory (for tests,
     * converted weights and reused scratch buffers, which may be longer), on the {@link JavaBackend}.
     */
    public static Matrix ofFloats(String name, float[] values, int rows, int cols) {
        long size = (long) rows * cols;
        if (rows < 0 || cols < 0 || size > values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for [" + rows + ", " + cols + "]");
        }
        MemorySegment seg = MemorySegment.ofArray(values).asSlice(0, size * Float.BYTES);
        return new Matrix(name, rows, cols, DType.F32, seg, JavaBackend.INSTANCE);
    }

    /**
     * This matrix quantized to {@code type} (Q8_0 or Q4_0) with ggml's reference quantizers, rows split
     * across the pool, on the same backend, the blocks in native memory freed once the matrix is unreachable
     * ({@link Arena#ofAuto()}; it counts towards {@code -XX:MaxDirectMemorySize}). A model's weights are quantized
     * into memory their {@link qwen2vl4j.io.Weights} own instead ({@link Quantizer#quantizeAtLoad}).
     *
     * @throws IllegalArgumentException when {@code cols} is not a multiple of 32 or {@code type} is not a block type
     */
    public static Matrix quantize(Matrix m, DType type) {
        return quantize(m, type, Arena.ofAuto());
    }

    /**
     * This matrix quantized to {@code type} as {@link #quantize(Matrix, DType)}, the blocks in native memory of
     * {@code arena} (valid while it is open; not a confined arena: the pool's threads write the blocks).
     */
    public static Matrix quantize(Matrix m, DType type, Arena arena) {
        return new Matrix(m.name, m.rows, m.cols, type, Quantizer.quantize(m.name, m.rows, m.cols, type, m::row, arena), m.backend);
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    /** Bytes of the weights in memory (what one matrix-vector product reads). */
    public long byteSize() {
        return dtype.byteSize((long) rows * cols);
    }

    /** Where its products run. */
    public ComputeBackend backend() {
        return backend;
    }

    /**
     * The weights as stored, what a backend computes on: {@code rows × cols} little-endian elements row-major, or for
     * a block type each row's {@code cols / 32} GGUF blocks one row after the other ({@link #rowOffset}), a Q4_0 row
     * planar: its scales, then its nibbles (see {@link QuantKernelsScalar}).
     */
    public MemorySegment data() {
        return data;
    }

    /** Element (r, c) as float32. */
    public float get(int r, int c) {
        long i = (long) r * cols + c;
        if (dtype.isQuantized()) return QuantKernelsScalar.get(dtype, data, rowOffset(r), cols / QuantKernelsScalar.BLOCK, c);
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, i * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, i * 2));
            default -> data.get(FLOAT_LE, i * 4);
        };
    }

    /** Copies row {@code r} into {@code dst[off..off+cols)} as float32. */
    public void row(int r, float[] dst, int off) {
        long base = (long) r * cols;
        if (dtype.isQuantized()) {
            QuantKernels.dequantizeRow(dtype, data, rowOffset(r), cols / QuantKernelsScalar.BLOCK, 0, dst, off, cols);
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, FLOAT_LE, base * 4, dst, off, cols);
            case BF16 -> VectorKernels.bf16ToFloat(data, base * 2, dst, off, cols);
            default -> {
                for (int c = 0; c < cols; c++) dst[off + c] = Float.float16ToFloat(data.get(SHORT_LE, (base + c) * 2));
            }
        }
    }

    /**
     * Copies columns {@code [from, from+count)} of row {@code r} into {@code dst[off..off+count)} as float32; for a
     * block type the columns must be whole blocks.
     *
     * @throws IllegalArgumentException when the columns lie outside the row or are not whole blocks
     */
    public void row(int r, int from, int count, float[] dst, int off) {
        if (r < 0 || r >= rows || from < 0 || count < 0 || from + count > cols || (dtype.isQuantized() && (from % dtype.blockSize() != 0 || count % dtype.blockSize() != 0))) {
            throw new IllegalArgumentException("matrix " + name + " [" + rows + ", " + cols + "] " + dtype + ": cannot read row " + r
                    + ", columns " + from + " to " + (from + count));
        }
        long base = (long) r * cols + from;
        if (dtype.isQuantized()) {
            QuantKernels.dequantizeRow(dtype, data, rowOffset(r), cols / QuantKernelsScalar.BLOCK, from / QuantKernelsScalar.BLOCK, dst, off, count);
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, FLOAT_LE, base * 4, dst, off, count);
            case BF16 -> VectorKernels.bf16ToFloat(data, base * 2, dst, off, count);
            default -> {
                for (int c = 0; c < count; c++) dst[off + c] = Float.float16ToFloat(data.get(SHORT_LE, (base + c) * 2));
            }
        }
    }

    /** Byte offset of row {@code r} in {@link #data()}. */
    public long rowOffset(int r) {
        return dtype.byteSize((long) r * cols);
    }
}
