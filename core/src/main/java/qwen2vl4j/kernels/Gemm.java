package qwen2vl4j.kernels;

import java.lang.foreign.MemorySegment;
import qwen2vl4j.io.DType;

/**
 * The tiled matrix product for several input rows ({@code out[n, rows] = x · Wᵀ + bias}), in the
 * blocked order of Goto's GEMM:
 * <ol>
 *   <li>the input rows are packed once per call, {@link GemmKernels#MR} rows to a block and
 *       column-major inside it ({@link GemmKernels#packRows}), so that a micro-kernel reads one
 *       contiguous stream of values to broadcast;</li>
 *   <li>the weight rows are cut into tiles of {@link GemmKernels#NR}; each pool task owns a few
 *       consecutive tiles and, one block of {@link #KC} columns at a time, widens them to float32
 *       and packs them transposed into its own panel ({@link #pack});</li>
 *   <li>a pass of up to {@link #PASS_BLOCKS} input blocks then runs against each packed tile in
 *       turn ({@link GemmKernels#gemm12} or {@link GemmKernels#gemm4}, whichever fits the register file), the products accumulating in a per-task scratch that is
 *       added to {@code out} at the end.</li>
 * </ol>
 * Every weight is thus read from memory and widened once per call and reused from cache for all
 * {@code n} rows.
 */
final class Gemm {
    /** Columns per block: a packed tile (KC × NR floats) and a packed input block (KC × MR) share the first-level cache. */
    static final int KC = 128;
    /** Tiles per pool task. */
    static final int TILES_PER_TASK = 4;
    /** Input blocks per pass over the packed tiles: a tile is reused from the first-level cache for these. */
    static final int PASS_BLOCKS = 4;
    /**
     * Input blocks per task (about 1024 rows): a task's accumulators ({@code blocks × TILES_PER_TASK × MR × NR}
     * floats) then stay near the second-level cache. Without the cut, on [5120x1280] bf16 on a 2-core Zen 3, 3072
     * input rows (a 768-token image) accumulated 786 KB per task and ran at 113 GFLOP/s where 1024 rows ran at 147;
     * with it 146, and 5120 rows 154.
     */
    static final int ROW_BLOCKS_PER_TASK = Math.max(1, 1024 / GemmKernels.MR);
    /** Multiply-adds below which a call stays on the calling thread. */
    static final long SERIAL_WORK = 1L << 16;
    /** The largest packed input (floats) a thread keeps between calls; larger ones are allocated per call. */
    private static final int KEPT_INPUT = 1 << 23;
    private static final int MR = GemmKernels.MR;
    private static final int NR = GemmKernels.NR;
    /** The gather offsets of the transpose in {@link #pack}. */
    private static final int[] GATHER = GemmKernels.gatherMap(KC);

    /** Per-thread buffers of a task: the packed panel, the widened rows of one tile, the accumulated output tiles. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(
            () -> new float[][] {new float[KC * NR * TILES_PER_TASK], new float[KC * NR], new float[0]});
    /**
     * The calling thread's packed-input buffer. A call takes it out of the holder while it runs, so
     * that a nested call on the same thread (a pool worker helping with other work) allocates its own.
     */
    private static final ThreadLocal<float[][]> PACKED_INPUT = ThreadLocal.withInitial(() -> new float[1][]);

    private Gemm() {}

    /** {@code out[n, w.rows()] = x[n, w.cols()] · Wᵀ + bias} (bias may be null), split across the pool. */
    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        int blocks = (n + MR - 1) / MR;
        long packedSize = (long) blocks * MR * cols;
        if (packedSize > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matmul with " + w.name() + ": " + n + " input rows of " + cols
                    + " columns exceed the largest array the tiled product can pack");
        }
        boolean serial = (long) n * rows * cols < SERIAL_WORK;
        float[][] holder = PACKED_INPUT.get();
        float[] kept = holder[0];
        holder[0] = null;
        float[] a = kept != null && kept.length >= packedSize ? kept : new float[(int) packedSize];
        try {
            int tiles = (rows + NR - 1) / NR;
            int tileTasks = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK, rowTasks = (blocks + ROW_BLOCKS_PER_TASK - 1) / ROW_BLOCKS_PER_TASK;
            int tasks = tileTasks * rowTasks;
            ComputePool.Body packBlock = b -> GemmKernels.packRows(x, n, cols, b, a);
            ComputePool.Body task = t -> {
                int tt = t % tileTasks, rt = t / tileTasks;
                tiles(a, n, w, bias, out, tt * TILES_PER_TASK, Math.min(tiles, (tt + 1) * TILES_PER_TASK),
                        rt * ROW_BLOCKS_PER_TASK, Math.min(blocks, (rt + 1) * ROW_BLOCKS_PER_TASK));
            };
            if (serial) {
                for (int b = 0; b < blocks; b++) packBlock.run(b);
                for (int t = 0; t < tasks; t++) task.run(t);
            } else {
                ComputePool.forEach(blocks, packBlock);
                ComputePool.forEach(tasks, task);
            }
        } finally {
            holder[0] = a.length <= KEPT_INPUT ? a : kept;
        }
    }

    /**
     * All input rows (packed in {@code a}) against the weight tiles {@code [t0, t1)}. The products
     * accumulate in a scratch laid out tile by tile ({@code MR × NR} floats each, those of one input
     * block side by side), which one pass per column block sweeps in order; {@code out} is written
     * once at the end. (Accumulating straight into {@code out}, whose rows lie {@code rows} floats
     * apart, made every tile update miss the caches: half the speed.)
     */
    private static void tiles(float[] a, int n, Matrix w, float[] bias, float[] out, int t0, int t1, int blockFrom, int blockTo) {
        int rows = w.rows(), cols = w.cols(), blocks = blockTo - blockFrom, tileCount = t1 - t0;
        int tileSize = MR * NR, blockSize = tileCount * tileSize;
        float[][] scratch = SCRATCH.get();
        float[] panel = scratch[0], row = scratch[1];
        if (scratch[2].length < blocks * blockSize) scratch[2] = new float[blocks * TILES_PER_TASK * tileSize];
        float[] acc = scratch[2];
        java.util.Arrays.fill(acc, 0, blocks * blockSize, 0f);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            for (int t = 0; t < tileCount; t++) {
                int j0 = (t0 + t) * NR;
                pack(w, j0, Math.min(NR, rows - j0), k0, kc, panel, t * KC * NR, row);
            }
            for (int b0 = 0; b0 < blocks; b0 += PASS_BLOCKS) {
                int b1 = Math.min(blocks, b0 + PASS_BLOCKS);
                for (int t = 0; t < tileCount; t++) {
                    for (int b = b0; b < b1; b++) {
                        int ab = blockFrom + b;
                        block(a, (ab * cols + k0) * MR, Math.min(MR, n - ab * MR), panel, t * KC * NR, kc, acc, b * blockSize + t * tileSize, NR);
                    }
                }
            }
        }
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < tileCount; t++) {
                int j0 = (t0 + t) * NR, valid = Math.min(NR, rows - j0);
                for (int r = 0, m = Math.min(MR, n - (blockFrom + b) * MR); r < m; r++) {
                    int src = b * blockSize + t * tileSize + r * NR, dst = ((blockFrom + b) * MR + r) * rows + j0;
                    if (bias == null) {
                        System.arraycopy(acc, src, out, dst, valid);
                    } else {
                        for (int j = 0; j < valid; j++) out[dst + j] = acc[src + j] + bias[j0 + j];
                    }
                }
            }
        }
    }

    /** The first {@code m ≤ MR} rows of one packed input block against one packed tile, added into {@code out}. */
    private static void block(float[] a, int aOff, int m, float[] panel, int pOff, int kc, float[] out, int o, int oStride) {
        if (m == MR) {
            if (MR == 12) {
                GemmKernels.gemm12(a, aOff, panel, pOff, kc, out, o, oStride);
            } else {
                GemmKernels.gemm4(a, aOff, panel, pOff, kc, out, o, oStride);
            }
            return;
        }
        int r = 0;
        for (; r + 4 <= m; r += 4) GemmKernels.gemm4(a, aOff + r, panel, pOff, kc, out, o + r * oStride, oStride);
        for (; r < m; r++) GemmKernels.gemm1(a, aOff + r, panel, pOff, kc, out, o + r * oStride);
    }

    /**
     * Widens columns {@code [k0, k0+kc)} of weight rows {@code [j0, j0+valid)} into a panel tile at
     * {@code pOff}, transposed ({@code panel[pOff + k·NR + jj]}); the columns past {@code valid} are zero.
     * The rows are first widened side by side into {@code rows} ({@code NR × KC} floats).
     */
    static void pack(Matrix w, int j0, int valid, int k0, int kc, float[] panel, int pOff, float[] rows) {
        for (int jj = 0; jj < NR; jj++) {
            int at = jj * KC;
            if (jj >= valid) java.util.Arrays.fill(rows, at, at + kc, 0f);
            else widen(w, j0 + jj, k0, kc, rows, at);
        }
        GemmKernels.transposeTile(rows, KC, GATHER, kc, panel, pOff);
    }

    /** Columns {@code [k0, k0+kc)} of weight row {@code j} as float32 into {@code dst[at ..]}: the values every product sees. */
    static void widen(Matrix w, int j, int k0, int kc, float[] dst, int at) {
        int cols = w.cols();
        MemorySegment data = w.data();
        long base = (long) j * cols + k0;
        if (w.dtype().isQuantized()) {
            QuantKernels.dequantizeRow(w.dtype(), data, w.rowOffset(j), cols / QuantKernelsScalar.BLOCK, k0 / QuantKernelsScalar.BLOCK, dst, at, kc);
        } else if (w.dtype() == DType.BF16) {
            VectorKernels.bf16ToFloat(data, base * 2, dst, at, kc);
        } else if (w.dtype() == DType.F32) {
            MemorySegment.copy(data, Matrix.FLOAT_LE, base * 4, dst, at, kc);
        } else {
            for (int k = 0; k < kc; k++) dst[at + k] = Float.float16ToFloat(data.get(Matrix.SHORT_LE, (base + k) * 2));
        }
    }
}
