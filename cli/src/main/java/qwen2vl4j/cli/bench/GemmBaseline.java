package qwen2vl4j.cli.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.Matrix;

/**
 * The previous tiled GEMM, kept only as the baseline of {@code bench --only kernels}: weight tiles
 * packed as in the kernels' tiled GEMM, but a 6×2 register tile that broadcasts from the unpacked input rows.
 * Same contract as {@link qwen2vl4j.kernels.MatMul#matmul} for {@code n ≥ 4} rows.
 */
final class GemmBaseline {
    private static final int KC = 128;
    private static final int TILES_PER_TASK = 4;
    private static final long SERIAL_WORK = 1L << 16;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Weight rows per panel tile: two vectors. */
    private static final int NR = 2 * L;

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
                    gemm6(x, i * cols + k0, cols, panel, pOff, kc, out, i * rows + j0, rows);
                }
                for (; i < n; i++) {
                    gemm1(x, i * cols + k0, panel, pOff, kc, out, i * rows + j0);
                }
            }
        }
    }

    /** The last tile when {@code rows} is not a multiple of NR: computed into a scratch tile, its valid columns added. */
    private static void partialTile(float[] x, int n, int cols, int k0, int kc, float[] panel, int pOff,
                                    float[] out, int rows, int j0, int valid, float[] tile) {
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(tile, 0f);
            gemm1(x, i * cols + k0, panel, pOff, kc, tile, 0);
            for (int jj = 0; jj < valid; jj++) out[i * rows + j0 + jj] += tile[jj];
        }
    }

    /**
     * Widens columns {@code [k0, k0+kc)} of weight rows {@code [j0, j0+valid)} into a panel tile at
     * {@code pOff}, transposed ({@code panel[pOff + k·NR + jj]}); the columns past {@code valid} are zero.
     */
    private static void pack(Matrix w, int j0, int valid, int k0, int kc, float[] panel, int pOff, float[] row) {
        for (int jj = 0; jj < NR; jj++) {
            if (jj < valid) {
                w.row(j0 + jj, k0, kc, row, 0);
                for (int k = 0; k < kc; k++) panel[pOff + k * NR + jj] = row[k];
            } else {
                for (int k = 0; k < kc; k++) panel[pOff + k * NR + jj] = 0f;
            }
        }
    }

    /**
     * The micro-kernel of the previous GEMM for six input rows against one packed panel tile of {@link #NR} weight rows:
     * {@code out[oOff + r·oStride + j] += Σ_{k<kc} x[xOff + r·xStride + k] · panel[pOff + k·NR + j]} for
     * {@code r < 6}, {@code j < NR}. Branch-free on purpose: the JIT keeps all twelve accumulators in
     * registers only while this method stays small.
     */
    private static void gemm6(float[] x, int xOff, int xStride, float[] panel, int pOff, int kc,
                      float[] out, int oOff, int oStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a0 = xOff, a1 = a0 + xStride, a2 = a1 + xStride, a3 = a2 + xStride, a4 = a3 + xStride, a5 = a4 + xStride;
        for (int k = 0, p = pOff; k < kc; k++, p += NR) {
            FloatVector b0 = FloatVector.fromArray(F, panel, p);
            FloatVector b1 = FloatVector.fromArray(F, panel, p + L);
            FloatVector a = FloatVector.broadcast(F, x[a0 + k]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, x[a1 + k]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, x[a2 + k]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, x[a3 + k]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, x[a4 + k]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, x[a5 + k]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        int o = oOff;
        c00.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c01.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c10.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c11.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c20.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c21.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c30.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c31.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c40.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c41.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c50.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c51.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
    }

    /** {@link #gemm6} for a single input row (the rows left over after the blocks of six). */
    private static void gemm1(float[] x, int xOff, float[] panel, int pOff, int kc, float[] out, int oOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int k = 0, p = pOff; k < kc; k++, p += NR) {
            FloatVector a = FloatVector.broadcast(F, x[xOff + k]);
            c0 = a.fma(FloatVector.fromArray(F, panel, p), c0);
            c1 = a.fma(FloatVector.fromArray(F, panel, p + L), c1);
        }
        c0.add(FloatVector.fromArray(F, out, oOff)).intoArray(out, oOff);
        c1.add(FloatVector.fromArray(F, out, oOff + L)).intoArray(out, oOff + L);
    }
}
