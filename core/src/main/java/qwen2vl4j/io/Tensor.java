package qwen2vl4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: its checkpoint name, element type, shape and the bytes,
 * a slice of the memory-mapped file (little-endian, row-major), and the {@link Device} its products run on
 * (null: the default, the Java kernels). Valid while its file is open.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data, String file, Device device) {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A tensor on the default device. */
    public Tensor(String name, DType dtype, long[] shape, MemorySegment data, String file) {
        this(name, dtype, shape, data, file, null);
    }

    /** This tensor (the same bytes) on {@code device}. */
    public Tensor on(Device device) {
        return device == this.device ? this : new Tensor(name, dtype, shape, data, file, device);
    }

    /** Number of elements: the product of the shape. */
    public long numel() {
        return numel(shape);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    /** Throws unless the shape is exactly {@code expected}, naming the tensor and its file. */
    public Tensor expectShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new ModelLoadException("tensor " + name + " in " + file + ": expected shape " + Arrays.toString(expected)
                    + " but found " + Arrays.toString(shape));
        }
        return this;
    }

    /** Element {@code i} as a float (BF16, F16, F32 or F64). */
    public float getFloat(long i) {
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat((data.get(SHORT_LE, i * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(SHORT_LE, i * 2));
            case F32 -> data.get(FLOAT_LE, i * 4);
            case F64 -> (float) data.get(DOUBLE_LE, i * 8);
            default -> throw new ModelLoadException("tensor " + name + " in " + file + " has dtype " + dtype + ", expected a float type");
        };
    }

    /** All elements converted to float32 (exact for BF16 and F16). */
    public float[] toFloatArray() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, FLOAT_LE, 0, out, 0, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((data.get(SHORT_LE, i * 2L) & 0xFFFF) << 16);
            }
            default -> {
                for (int i = 0; i < n; i++) out[i] = getFloat(i);
            }
        }
        return out;
    }

    /** All elements as longs (I64, I32, I16, I8, U8, BOOL). */
    public long[] toLongArray() {
        int n = Math.toIntExact(numel());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> data.get(LONG_LE, i * 8L);
                case I32 -> data.get(INT_LE, i * 4L);
                case I16 -> data.get(SHORT_LE, i * 2L);
                case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                default -> throw new ModelLoadException("tensor " + name + " in " + file + " has dtype " + dtype + ", expected an integer type");
            };
        }
        return out;
    }

    /** The raw bytes (for U8 images and the like). */
    public byte[] toByteArray() {
        return data.toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
