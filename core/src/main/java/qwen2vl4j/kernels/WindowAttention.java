package qwen2vl4j.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The vision tower's attention (HF VisionAttention / VisionSdpaAttention with {@code cu_seqlens}): per head,
 * {@code softmax(q·kᵀ / √headDim)·v} with no mask inside each window of consecutive rows and nothing across
 * windows. Input rows hold {@code q | k | v}, each {@code heads × headDim} wide, rotary already applied; the heads'
 * outputs are written side by side into the context rows.
 *
 * <p>How it runs: each head's keys and values are packed once per call into the weight tiles of the GEMM's
 * micro-kernels ({@link GemmKernels#NR} keys, or value lanes, to a tile; padded with zeros). Each head of each window
 * is then cut into blocks of query rows, all run side by side across the {@link ComputePool}: a block's scores
 * against every key of its window stay in cache between the two products and the softmax. Both products read their
 * row operand where it lies ({@link GemmKernels#gemm4RowMajor}: the queries in {@code qkv}, the probabilities in the
 * scores), so nothing is packed per block. {@code WindowAttentionReference} (in the tests) is the plain twin.
 *
 * <p>On a 2-core Zen 3 at 256 bits, one window of 5120 patches (16 heads of 80) ran at 81–86 GFLOP/s this way and
 * 74–78 when each block went through {@link MatMul} (which packed the queries, the keys and, transposed, the
 * probabilities for every block); 1024 patches at 80 against 70–71. What is left beside the two products is the
 * softmax, a quarter of the time.
 */
public final class WindowAttention {
    /** Query rows per block are a multiple of this: whole groups of the four-row kernels. */
    private static final int BLOCK_QUANTUM = 96;
    /** A block's scores ({@code rows × window} floats) aim to fit this many floats, about a second-level cache. */
    private static final int BLOCK_SCORES = 1 << 18;
    /**
     * Query blocks of windows too long for {@link #BLOCK_SCORES} take this many quanta: each block reads its head's
     * packed keys and values once. (96, 192 and 384 rows ran alike over 5120 patches on a 2-core Zen 3.)
     */
    private static final int LONG_WINDOW_QUANTA = 4;
    /** Keys or value lanes per packed tile. */
    private static final int NR = GemmKernels.NR;

    private final int heads;
    private final int headDim;
    private final int dim;
    /** Value tiles of {@code NR} lanes (the last one padded with zeros when more than half of it is used). */
    private final int valueTiles;
    /** Whether the last lanes of a head, no more than {@code NR / 2}, take a half tile of their own instead. */
    private final boolean halfTile;
    /** The width of a block's output rows: the value tiles' lanes. */
    private final int outWidth;

    /** Attention with {@code heads} heads of {@code headDim} lanes, scale {@code 1/√headDim}. */
    public WindowAttention(int heads, int headDim) {
        if (heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("window attention geometry: " + heads + " heads of " + headDim + " lanes");
        }
        this.heads = heads;
        this.headDim = headDim;
        this.dim = heads * headDim;
        int rest = headDim % NR;
        this.halfTile = rest > 0 && rest <= NR / 2;
        this.valueTiles = headDim / NR + (rest > NR / 2 ? 1 : 0);
        this.outWidth = valueTiles * NR + (halfTile ? NR / 2 : 0);
    }

    /**
     * Attends the rows of every window: row {@code i} of {@code qkv [n, 3·heads·headDim]} ({@code n} the last window
     * start) to the rows of its window, into row {@code i} of {@code context [n, heads·headDim]}.
     *
     * @param windowStarts {@code cu_seqlens}: window {@code w} is rows {@code [windowStarts[w], windowStarts[w+1])}
     * @param workspace    buffers reused across calls of the same windows (one forward pass); not shared between threads
     */
    public void attend(float[] qkv, int[] windowStarts, Workspace workspace, float[] context) {
        int windows = windowStarts.length - 1, n = windowStarts[windows];
        if (qkv.length < (long) n * 3 * dim || context.length < (long) n * dim) {
            throw new IllegalArgumentException("window attention over " + n + " rows of " + heads + " heads x " + headDim
                    + ": qkv holds " + qkv.length + " values, context " + context.length);
        }
        workspace.fit(this, windowStarts);
        float[][] keys = workspace.keys, values = workspace.values;
        ComputePool.forEach(windows * heads, wh -> {
            int w = wh / heads, start = windowStarts[w], len = windowStarts[w + 1] - start;
            packKeys(qkv, start, len, wh % heads, keys[wh]);
            packValues(qkv, start, len, wh % heads, values[wh]);
        });
        List<int[]> blocks = new ArrayList<>();               // {window·heads + head, first query, end}
        for (int w = 0; w < windows; w++) {
            int len = windowStarts[w + 1] - windowStarts[w], rows = blockRows(len);
            for (int head = 0; head < heads; head++) {
                for (int q0 = 0; q0 < len; q0 += rows) blocks.add(new int[] {w * heads + head, q0, Math.min(len, q0 + rows)});
            }
        }
        ComputePool.forEach(blocks.size(), b -> {
            int[] block = blocks.get(b);
            int wh = block[0], start = windowStarts[wh / heads];
            attendBlock(qkv, start, windowStarts[wh / heads + 1] - start, wh % heads, keys[wh], values[wh], block[1], block[2], context);
        });
    }

    /** Query rows per block for a window of {@code len}: a multiple of {@link #BLOCK_QUANTUM}, scores about {@link #BLOCK_SCORES}. */
    static int blockRows(int len) {
        int quanta = BLOCK_SCORES / len / BLOCK_QUANTUM;
        return BLOCK_QUANTUM * (quanta >= 1 ? quanta : LONG_WINDOW_QUANTA);
    }

    /** Packed tiles covering {@code n} keys or value lanes. */
    private static int tiles(int n) {
        return (n + NR - 1) / NR;
    }

    /**
     * The queries {@code [q0, q1)} of one head of one window against all its keys:
     * {@code softmax(q·kᵀ / √headDim)·v} into the head's slice of those rows of {@code context}.
     */
    private void attendBlock(float[] qkv, int start, int len, int head, float[] keys, float[] values,
                             int q0, int q1, float[] context) {
        int rows = q1 - q0, keyTiles = tiles(len), lenPad = keyTiles * NR, width = outWidth, half = valueTiles * lenPad * NR;
        int stride = 3 * dim, q = (start + q0) * stride + head * headDim;
        BlockScratch s = BLOCK_SCRATCH.get().fit(rows * width, rows * lenPad);
        float[] scores = s.scores;                             // [rows, lenPad] = q·kᵀ, then the probabilities
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            for (int t = 0; t < keyTiles; t++) {
                GemmKernels.gemm4RowMajor(qkv, q + r * stride, stride, keys, t * headDim * NR, headDim, scores, r * lenPad + t * NR, lenPad);
            }
        }
        for (; r < rows; r++) {
            for (int t = 0; t < keyTiles; t++) GemmKernels.gemm1RowMajor(qkv, q + r * stride, keys, t * headDim * NR, headDim, scores, r * lenPad + t * NR);
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int i = 0; i < rows; i++) VisionVectorKernels.softmax(scores, i * lenPad, len, scale); // the padded keys' columns are not read
        float[] out = s.out;                                   // [rows, width] = P·v
        for (r = 0; r + 4 <= rows; r += 4) {
            for (int t = 0; t < valueTiles; t++) {
                GemmKernels.gemm4RowMajor(scores, r * lenPad, lenPad, values, t * lenPad * NR, len, out, r * width + t * NR, width);
            }
            if (halfTile) GemmKernels.gemm4RowMajorHalf(scores, r * lenPad, lenPad, values, half, len, out, r * width + valueTiles * NR, width);
        }
        for (; r < rows; r++) {
            for (int t = 0; t < valueTiles; t++) GemmKernels.gemm1RowMajor(scores, r * lenPad, values, t * lenPad * NR, len, out, r * width + t * NR);
            if (halfTile) GemmKernels.gemm1RowMajorHalf(scores, r * lenPad, values, half, len, out, r * width + valueTiles * NR);
        }
        for (int i = 0; i < rows; i++) System.arraycopy(out, i * width, context, (start + q0 + i) * dim + head * headDim, headDim);
    }

    /**
     * The keys of one head over the rows {@code [start, start+len)} as packed weight tiles of {@code NR} keys:
     * {@code k[(t·headDim + d)·NR + j]} is lane {@code d} of key {@code t·NR + j} (0 past the last key).
     */
    private void packKeys(float[] qkv, int start, int len, int head, float[] k) {
        java.util.Arrays.fill(k, 0f);
        int stride = 3 * dim;
        for (int i = 0; i < len; i++) {
            int src = (start + i) * stride + dim + head * headDim, dst = i / NR * headDim * NR + i % NR;
            for (int d = 0; d < headDim; d++) k[dst + d * NR] = qkv[src + d];
        }
    }

    /**
     * The values of one head over the rows {@code [start, start+len)} as packed weight tiles, each over every key:
     * {@code v[(t·lenPad + i)·NR + j]} is lane {@code t·NR + j} of key {@code i} (0 past the last lane); with a
     * {@link #halfTile}, its lanes follow the full tiles, {@code NR / 2} per key.
     */
    private void packValues(float[] qkv, int start, int len, int head, float[] v) {
        java.util.Arrays.fill(v, 0f);
        int stride = 3 * dim, lenPad = tiles(len) * NR, full = valueTiles * NR, half = valueTiles * lenPad * NR;
        for (int i = 0; i < len; i++) {
            int src = (start + i) * stride + 2 * dim + head * headDim;
            for (int d = 0; d < headDim; d++) {
                v[d < full ? (d / NR * lenPad + i) * NR + d % NR : half + i * (NR / 2) + d - full] = qkv[src + d];
            }
        }
    }

    /** The floats of one head's packed values over {@code len} keys ({@link #packValues}). */
    private int packedValues(int len) {
        return outWidth * tiles(len) * NR;
    }

    /**
     * Per (window, head): the keys and the values in packed tiles ({@link #packKeys}, {@link #packValues}), allocated
     * for the windows of the first call and reused while they stay the same (every block of one vision forward pass).
     */
    public static final class Workspace {
        private int[] starts = new int[0];
        private int heads;
        private int headDim;
        private float[][] keys = new float[0][];
        private float[][] values = new float[0][];

        private void fit(WindowAttention attention, int[] windowStarts) {
            int heads = attention.heads, headDim = attention.headDim;
            if (java.util.Arrays.equals(starts, windowStarts) && this.heads == heads && this.headDim == headDim) return;
            int windows = windowStarts.length - 1;
            keys = new float[windows * heads][];
            values = new float[windows * heads][];
            for (int w = 0; w < windows; w++) {
                int len = windowStarts[w + 1] - windowStarts[w];
                for (int h = 0; h < heads; h++) {
                    keys[w * heads + h] = new float[tiles(len) * NR * headDim];
                    values[w * heads + h] = new float[attention.packedValues(len)];
                }
            }
            starts = windowStarts.clone();
            this.heads = heads;
            this.headDim = headDim;
        }
    }

    /** Per thread: one query block's scores and output, grown as needed and reused. */
    private static final ThreadLocal<BlockScratch> BLOCK_SCRATCH = ThreadLocal.withInitial(BlockScratch::new);

    private static final class BlockScratch {
        float[] scores = new float[0];
        float[] out = new float[0];

        BlockScratch fit(int outValues, int scoreValues) {
            if (out.length < outValues) out = new float[outValues];
            if (scores.length < scoreValues) scores = new float[scoreValues];
            return this;
        }
    }
}
