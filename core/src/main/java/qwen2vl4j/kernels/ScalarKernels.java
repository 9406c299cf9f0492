package qwen2vl4j.kernels;

/** Plain-Java twins of {@link VectorKernels}: the reference the kernel tests compare against. */
final class ScalarKernels {
    private ScalarKernels() {}

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
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
