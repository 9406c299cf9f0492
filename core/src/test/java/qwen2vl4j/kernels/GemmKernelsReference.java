package qwen2vl4j.kernels;

/** The plain reference twin of {@link GemmKernels}, for tests: the same packed operands, one row at a time, sums in double. */
final class GemmKernelsReference {
    private GemmKernelsReference() {}

    /**
     * Rows {@code r < m} of a packed input block of {@code mr} rows (from {@code aOff}'s row on) against one packed
     * weight tile: {@code out[oOff + r·oStride + j] += Σ_{k<kc} a[aOff + k·mr + r] · b[bOff + k·NR + j]}.
     */
    static void gemm(int m, int mr, float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff, int oStride) {
        int nr = GemmKernels.NR;
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < nr; j++) {
                double s = 0;
                for (int k = 0; k < kc; k++) s += (double) a[aOff + k * mr + r] * b[bOff + k * nr + j];
                out[oOff + r * oStride + j] += (float) s;
            }
        }
    }

    /**
     * Rows {@code r < m} of a row-major {@code a} (rows {@code lda} apart) against a packed tile of {@code width}
     * lanes, stored: {@code out[oOff + r·oStride + j] = Σ_{k<kc} a[aOff + r·lda + k] · b[bOff + k·width + j]}.
     */
    static void gemmRowMajor(int m, float[] a, int aOff, int lda, float[] b, int bOff, int width, int kc, float[] out, int oOff, int oStride) {
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < width; j++) {
                double s = 0;
                for (int k = 0; k < kc; k++) s += (double) a[aOff + r * lda + k] * b[bOff + k * width + j];
                out[oOff + r * oStride + j] = (float) s;
            }
        }
    }

    /** {@link GemmKernels#transposeTile}: {@code panel[pOff + k·NR + jj] = src[jj·srcStride + k]}. */
    static void transposeTile(float[] src, int srcStride, int kc, float[] panel, int pOff) {
        int nr = GemmKernels.NR;
        for (int k = 0; k < kc; k++) {
            for (int jj = 0; jj < nr; jj++) panel[pOff + k * nr + jj] = src[jj * srcStride + k];
        }
    }
}
