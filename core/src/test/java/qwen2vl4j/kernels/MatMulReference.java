package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Plain-Java twins of the matrix products: {@link MatMul} on any dtype (sums in double) and the dot products of
 * {@link VectorKernels}. The reference the kernel tests compare against.
 */
final class MatMulReference {
    private MatMulReference() {}

    /** Σ a[ao+i]·b[bo+i] for i < n, in order. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** Σ bf16(w[i]) · x[i] with x given de-interleaved ({@code even[j] = x[2j]}, {@code odd[j] = x[2j+1]}). */
    static float dotBf16Pairs(MemorySegment w, long wByteOff, float[] even, float[] odd, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float wi = Float.intBitsToFloat((w.get(Matrix.SHORT_LE, wByteOff + 2L * i) & 0xFFFF) << 16);
            s += wi * ((i & 1) == 0 ? even[i >>> 1] : odd[i >>> 1]);
        }
        return s;
    }

    /** out[i, r] = Σ_c x[i, c] · W[r, c] + bias[r]. */
    static void matmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double) x[i * cols + c] * w.get(r, c);
                out[i * rows + r] = (float) s + (bias == null ? 0f : bias[r]);
            }
        }
    }
}
