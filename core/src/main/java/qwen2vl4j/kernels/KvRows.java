package qwen2vl4j.kernels;

import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The cached keys (or values) of one decoder layer: rows of {@code width} values, row-major, stored as
 * float32 or, to halve the memory and the bytes read per decode step, as bfloat16 or IEEE half floats
 * (rounded to nearest even when written, widened exactly when read). Not thread-safe for writes; any
 * number of threads may read rows that are no longer written.
 */
public final class KvRows {
    /** How a cached value is stored. */
    public enum Precision {
        /** float32: exact. */
        F32(4),
        /** bfloat16: float32's range, 8 significant bits. */
        BF16(2),
        /** IEEE 754 binary16: 11 significant bits, largest finite value 65504. */
        F16(2);

        private final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per stored value. */
        public int bytes() {
            return bytes;
        }
    }

    private final Precision precision;
    private final int width;
    private float[] f32 = new float[0];
    private short[] half = new short[0];
    private int capacity;

    /** Empty rows of {@code width} values each. */
    public KvRows(Precision precision, int width) {
        if (width < 1) throw new IllegalArgumentException("KvRows width must be positive, found " + width);
        this.precision = precision;
        this.width = width;
    }

    public Precision precision() {
        return precision;
    }

    public int width() {
        return width;
    }

    /** Rows that fit without growing. */
    public int capacity() {
        return capacity;
    }

    /** Grows the storage to exactly {@code rows} rows when it holds fewer, keeping what is stored. */
    public void ensureCapacity(int rows) {
        if (rows <= capacity) return;
        int values = Math.multiplyExact(rows, width);
        if (precision == Precision.F32) f32 = Arrays.copyOf(f32, values);
        else half = Arrays.copyOf(half, values);
        capacity = rows;
    }

    /** A copy of the first {@code rows} rows (its capacity exactly {@code rows}). */
    public KvRows copy(int rows) {
        if (rows < 0 || rows > capacity) {
            throw new IndexOutOfBoundsException("KvRows.copy: " + rows + " rows outside capacity " + capacity);
        }
        KvRows c = new KvRows(precision, width);
        c.ensureCapacity(rows);
        copyRows(this, c, rows);
        return c;
    }

    /** Overwrites the first {@code rows} rows with those of {@code src} (same precision and width). */
    public void copyFrom(KvRows src, int rows) {
        if (src.precision != precision || src.width != width) {
            throw new IllegalArgumentException("KvRows.copyFrom: " + src.precision + " rows of " + src.width
                    + " values into " + precision + " rows of " + width);
        }
        if (rows < 0 || rows > src.capacity || rows > capacity) {
            throw new IndexOutOfBoundsException("KvRows.copyFrom: " + rows + " rows, capacities " + src.capacity + " and " + capacity);
        }
        copyRows(src, this, rows);
    }

    private static void copyRows(KvRows from, KvRows to, int rows) {
        int n = rows * from.width;
        if (from.precision == Precision.F32) System.arraycopy(from.f32, 0, to.f32, 0, n);
        else System.arraycopy(from.half, 0, to.half, 0, n);
    }

    /** Stores {@code count} rows of {@code src} (from {@code srcOff}, contiguous) at rows {@code row ..}. */
    public void write(int row, float[] src, int srcOff, int count) {
        if (row < 0 || count < 0 || row + count > capacity) {
            throw new IndexOutOfBoundsException("KvRows.write: rows [" + row + ", " + (row + count) + ") outside capacity " + capacity);
        }
        int n = count * width, dst = row * width;
        switch (precision) {
            case F32 -> System.arraycopy(src, srcOff, f32, dst, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) half[dst + i] = toBf16(src[srcOff + i]);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) half[dst + i] = toF16Saturated(src[srcOff + i]);
            }
        }
    }

    /** The largest finite f16 value. */
    static final float F16_MAX = 65504f;

    /**
     * {@code v} as f16, rounded to nearest even, values beyond ±65504 saturated to ±65504: an infinite
     * key would turn its attention scores into NaN, a saturated one only into a large score. NaN stays NaN.
     */
    static short toF16Saturated(float v) {
        return Float.floatToFloat16(Math.max(-F16_MAX, Math.min(F16_MAX, v)));
    }

    /** The stored value at {@code (row, col)}, widened to float. */
    public float get(int row, int col) {
        int i = row * width + col;
        return switch (precision) {
            case F32 -> f32[i];
            case BF16 -> fromBf16(half[i]);
            case F16 -> Float.float16ToFloat(half[i]);
        };
    }

    /** The float32 storage (only for {@link Precision#F32}): row {@code r} starts at {@code r · width}. */
    float[] floats() {
        return f32;
    }

    /**
     * Widens rows {@code [row, row+count)}, columns {@code [col, col+n)} into {@code dst} as {@code count} rows
     * of {@code n} values (only for the 16-bit precisions).
     */
    void widen(int row, int count, int col, int n, float[] dst) {
        for (int r = 0; r < count; r++) {
            int src = (row + r) * width + col, out = r * n;
            if (precision == Precision.BF16) bf16Row(half, src, dst, out, n);
            else f16Row(half, src, dst, out, n);
        }
    }

    private static void bf16Row(short[] src, int off, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i <= n - VectorKernels.L; i += VectorKernels.L) {
            ShortVector s = ShortVector.fromArray(VectorKernels.S, src, off + i);
            ((IntVector) s.convertShape(VectorOperators.S2I, VectorKernels.I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = fromBf16(src[off + i]);
    }

    /** A plain loop the JIT turns into packed half-to-float conversions. */
    private static void f16Row(short[] src, int off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src[off + i]);
    }

    /** float32 to bfloat16, rounded to nearest even; NaN stays NaN. */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** For the benchmark's memory report: values stored per row × bytes per value. */
    public long bytesPerRow() {
        return (long) width * precision.bytes();
    }
}
