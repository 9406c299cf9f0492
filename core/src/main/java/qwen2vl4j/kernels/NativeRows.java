package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Moves activation rows between the model's float arrays and native memory, for a backend that computes in a
 * native library: float32 → bfloat16 with round-to-nearest-even (what {@code tensor.to(torch.bfloat16)} does; a NaN
 * stays a quiet NaN), float32 copies, and the result copied back with the bias added. Each splits large rows
 * across the {@link ComputePool}; the plain twin is {@code NativeRowsReference} in the tests. Native memory is
 * little-endian, as the host.
 */
public final class NativeRows {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Values per pool task; fewer values stay on the calling thread. */
    private static final int PER_TASK = 1 << 16;

    private NativeRows() {}

    /** {@code dst[i] = bf16(x[i])} for {@code i < count}: bfloat16 at {@code dst}'s start, 2 bytes each. */
    public static void toBf16(float[] x, int count, MemorySegment dst) {
        check(x, count, dst, 2);
        split(count, (from, to) -> toBf16(x, dst, from, to));
    }

    /** {@code dst[i] = x[i]} for {@code i < count}: float32 at {@code dst}'s start. */
    public static void toF32(float[] x, int count, MemorySegment dst) {
        check(x, count, dst, 4);
        split(count, (from, to) -> MemorySegment.copy(x, from, dst, FLOAT, 4L * from, to - from));
    }

    /**
     * {@code out[r, c] = src[r, c] + bias[c]} for {@code rows × cols} float32 values at {@code src}'s start,
     * row-major; {@code bias} may be null.
     */
    public static void fromF32(MemorySegment src, int rows, int cols, float[] bias, float[] out) {
        long count = (long) rows * cols;
        if (rows < 0 || cols < 0 || count > out.length || src.byteSize() < 4 * count || (bias != null && bias.length < cols)) {
            throw new IllegalArgumentException("fromF32: " + rows + " x " + cols + " values from " + src.byteSize() + " bytes into "
                    + out.length + (bias == null ? "" : ", bias " + bias.length));
        }
        if (bias == null) {
            split((int) count, (from, to) -> MemorySegment.copy(src, FLOAT, 4L * from, out, from, to - from));
        } else {
            int perTask = Math.max(1, PER_TASK / Math.max(1, cols));
            int tasks = Math.max(1, Math.min(ComputePool.threads() * 4, rows / perTask));
            ComputePool.forEachRange(rows, tasks, (from, to) -> {
                for (int r = from; r < to; r++) addRow(src, r, cols, bias, out);
            });
        }
    }

    private static void addRow(MemorySegment src, int r, int cols, float[] bias, float[] out) {
        int base = r * cols, c = 0;
        for (; c <= cols - VectorKernels.L; c += VectorKernels.L) {
            FloatVector.fromMemorySegment(VectorKernels.F, src, 4L * (base + c), ByteOrder.LITTLE_ENDIAN)
                    .add(FloatVector.fromArray(VectorKernels.F, bias, c)).intoArray(out, base + c);
        }
        for (; c < cols; c++) out[base + c] = src.get(FLOAT, 4L * (base + c)) + bias[c];
    }

    private static void toBf16(float[] x, MemorySegment dst, int from, int to) {
        int i = from;
        for (; i <= to - VectorKernels.L; i += VectorKernels.L) {
            IntVector bits = FloatVector.fromArray(VectorKernels.F, x, i).reinterpretAsInts();
            IntVector lsb = bits.lanewise(VectorOperators.LSHR, 16).and(1);
            IntVector rounded = bits.add(lsb).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            IntVector quiet = bits.lanewise(VectorOperators.LSHR, 16).or(0x40);
            rounded.blend(quiet, nan).convertShape(VectorOperators.I2S, VectorKernels.S, 0)
                    .intoMemorySegment(dst, 2L * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < to; i++) dst.set(SHORT, 2L * i, bf16(x[i]));
    }

    /** One value rounded to bfloat16, nearest even. */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void split(int count, ComputePool.Range body) {
        int tasks = count < 2 * PER_TASK ? 1 : Math.min(ComputePool.threads() * 4, count / PER_TASK);
        ComputePool.forEachRange(count, tasks, body);
    }

    private static void check(float[] x, int count, MemorySegment dst, int bytes) {
        if (count < 0 || count > x.length || dst.byteSize() < (long) bytes * count) {
            throw new IllegalArgumentException("native rows: " + count + " values of " + x.length + " into " + dst.byteSize() + " bytes");
        }
    }
}
