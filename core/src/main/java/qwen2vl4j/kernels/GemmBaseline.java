package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import qwen2vl4j.io.DType;

/**
 * The previous tiled GEMM, kept only as the baseline of {@code bench --only kernels}: weight tiles
 * packed as in {@link Gemm}, but a 6×2 register tile that broadcasts from the unpacked input rows.
 * Same contract as {@link Gemm#run}.
 */
final class GemmBaseline {
    private static final int KC = 128;
    private static final int TILES_PER_TASK = 4;
    private static final long SERIAL_WORK = 1L << 16;
    private static final int NR = VectorKernels.NR;

    /** Per-thread buffers: the packed panel of one task, one widened weight row, one row of a partial tile. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(
            () -> new float[][] {new float[KC * NR * TILES_PER_TASK], new float[KC], new float[NR]});

    private GemmBaseline() {}

    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows();
        int tiles = (rows + NR - 1) / NR;
        int tasks = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
        if ((long) n * rows * w.cols() < SERIAL_WORK) {
            for (int t = 0; t < tasks; t++) tiles(x, n, w, bias, out, t * TILES_PER_TASK, Math.min(tiles, (t + 1) * TILES_PER_TASK));
            return;
        }
        ComputePool.forEach(tasks, t -> tiles(x, n, w, bias, out, t * TILES_PER_TASK, Math.min(tiles, (t + 1) * TILES_PER_TASK)));
    }

    /** All input rows against the weight tiles {@code [t0, t1)}. */
    private static void tiles(float[] x, int n, Matrix w, float[] bias, float[] out, int t0, int t1) {
        int rows = w.rows(), cols = w.cols();
        float[][] scratch = SCRATCH.get();
        float[] panel = scratch[0], row = scratch[1], partial = scratch[2];
        int jFrom = t0 * NR, jTo = Math.min(rows, t1 * NR);
        for (int i = 0; i < n; i++) {
            for (int j = jFrom; j < jTo; j++) out[i * rows + j] = bias == null ? 0f : bias[j];
        }
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            for (int t = t0; t < t1; t++) {
                pack(w, t * NR, Math.min(NR, rows - t * NR), k0, kc, panel, (t - t0) * KC * NR, row);
            }
            for (int t = t0; t < t1; t++) {
                int j0 = t * NR, valid = Math.min(NR, rows - j0), pOff = (t - t0) * KC * NR;
                if (valid < NR) {
                    partialTile(x, n, cols, k0, kc, panel, pOff, out, rows, j0, valid, partial);
                    continue;
                }
                int i = 0;
                for (; i + 6 <= n; i += 6) {
                    VectorKernels.gemm6(x, i * cols + k0, cols, panel, pOff, kc, out, i * rows + j0, rows);
                }
                for (; i < n; i++) {
                    VectorKernels.gemm1(x, i * cols + k0, panel, pOff, kc, out, i * rows + j0);
                }
            }
        }
    }

    /** The last tile when {@code rows} is not a multiple of NR: computed into a scratch tile, its valid columns added. */
    private static void partialTile(float[] x, int n, int cols, int k0, int kc, float[] panel, int pOff,
                                    float[] out, int rows, int j0, int valid, float[] tile) {
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(tile, 0f);
            VectorKernels.gemm1(x, i * cols + k0, panel, pOff, kc, tile, 0);
            for (int jj = 0; jj < valid; jj++) out[i * rows + j0 + jj] += tile[jj];
        }
    }

    /**
     * Widens columns {@code [k0, k0+kc)} of weight rows {@code [j0, j0+valid)} into a panel tile at
     * {@code pOff}, transposed ({@code panel[pOff + k·NR + jj]}); the columns past {@code valid} are zero.
     */
    private static void pack(Matrix w, int j0, int valid, int k0, int kc, float[] panel, int pOff, float[] row) {
        int cols = w.cols();
        MemorySegment data = w.data();
        for (int jj = 0; jj < NR; jj++) {
            if (jj < valid) {
                long base = (long) (j0 + jj) * cols + k0;
                if (w.dtype().isQuantized()) {
                    QuantKernels.dequantizeRow(w.dtype(), data, w.rowOffset(j0 + jj) + w.dtype().byteSize(k0), row, 0, kc);
                } else if (w.dtype() == DType.BF16) {
                    VectorKernels.bf16ToFloat(data, base * 2, row, 0, kc);
                } else if (w.dtype() == DType.F32) {
                    MemorySegment.copy(data, Matrix.FLOAT_LE, base * 4, row, 0, kc);
                } else {
                    for (int k = 0; k < kc; k++) row[k] = Float.float16ToFloat(data.get(Matrix.SHORT_LE, (base + k) * 2));
                }
                for (int k = 0; k < kc; k++) panel[pOff + k * NR + jj] = row[k];
            } else {
                for (int k = 0; k < kc; k++) panel[pOff + k * NR + jj] = 0f;
            }
        }
    }
}
