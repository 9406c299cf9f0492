package qwen2vl4j.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The vision tower's attention (HF VisionAttention / VisionSdpaAttention with {@code cu_seqlens}): per head,
 * {@code softmax(q·kᵀ / √headDim)·v} with no mask inside each window of consecutive rows and nothing across
 * windows. Input rows hold {@code q | k | v}, each {@code heads × headDim} wide, rotary already applied; the heads'
 * outputs are written side by side into the context rows.
 *
 * <p>How it runs: each head of each window is cut into blocks of query rows, all run side by side across the
 * {@link ComputePool}: a block's scores against every key of its window stay in cache between the two products and
 * the softmax. Both products are {@link MatMul} calls on Java-backend matrices over the activations; the second is
 * taken transposed, {@code vᵀ·Pᵀ}, so the probabilities are the GEMM's weight rows and the few {@code headDim} rows
 * of {@code vᵀ} its input. {@code WindowAttentionReference} (in the tests) is the plain twin.
 */
public final class WindowAttention {
    /** Query rows per block are a multiple of this: whole GEMM row groups (6) and weight tiles (32). */
    private static final int BLOCK_QUANTUM = 96;
    /** A block's scores ({@code rows × window} floats) aim to fit this many floats, about a second-level cache. */
    private static final int BLOCK_SCORES = 1 << 18;
    /**
     * Query blocks of windows too long for {@link #BLOCK_SCORES} take this many quanta: every block packs all keys of
     * its window for its GEMM, and 384 queries amortise that.
     */
    private static final int LONG_WINDOW_QUANTA = 4;
    /** Rows to transpose together: their values stay in cache while each lands in its column. */
    private static final int TRANSPOSE_BLOCK = 16;

    private final int heads;
    private final int headDim;
    private final int dim;

    /** Attention with {@code heads} heads of {@code headDim} lanes, scale {@code 1/√headDim}. */
    public WindowAttention(int heads, int headDim) {
        if (heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("window attention geometry: " + heads + " heads of " + headDim + " lanes");
        }
        this.heads = heads;
        this.headDim = headDim;
        this.dim = heads * headDim;
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
        workspace.fit(windowStarts, heads, headDim);
        float[][] keys = workspace.keys, valuesT = workspace.valuesT;
        ComputePool.forEach(windows * heads, wh -> {
            int w = wh / heads, start = windowStarts[w], len = windowStarts[w + 1] - start;
            packKeys(qkv, start, len, wh % heads, keys[wh]);
            packValuesTransposed(qkv, start, len, wh % heads, valuesT[wh]);
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
            attendBlock(qkv, start, windowStarts[wh / heads + 1] - start, wh % heads, keys[wh], valuesT[wh], block[1], block[2], context);
        });
    }

    /** Query rows per block for a window of {@code len}: a multiple of {@link #BLOCK_QUANTUM}, scores about {@link #BLOCK_SCORES}. */
    static int blockRows(int len) {
        int quanta = BLOCK_SCORES / len / BLOCK_QUANTUM;
        return BLOCK_QUANTUM * (quanta >= 1 ? quanta : LONG_WINDOW_QUANTA);
    }

    /**
     * The queries {@code [q0, q1)} of one head of one window against all its keys:
     * {@code softmax(q·kᵀ / √headDim)·v} into the head's slice of those rows of {@code context}.
     */
    private void attendBlock(float[] qkv, int start, int len, int head, float[] keys, float[] valuesT,
                             int q0, int q1, float[] context) {
        int rows = q1 - q0;
        BlockScratch s = BLOCK_SCRATCH.get().fit(rows * headDim, rows * len);
        float[] q = s.q;                                       // [rows, headDim]
        for (int i = 0; i < rows; i++) System.arraycopy(qkv, (start + q0 + i) * 3 * dim + head * headDim, q, i * headDim, headDim);
        float[] scores = s.scores;                             // [rows, len] = q·kᵀ
        MatMul.matmul(q, rows, Matrix.ofFloats("attn.k", keys, len, headDim), null, scores);
        VisionOps.softmaxRows(scores, rows, len, (float) (1.0 / Math.sqrt(headDim)));
        float[] outT = s.outT;                                 // [headDim, rows] = (P·v)ᵀ
        MatMul.matmul(valuesT, headDim, Matrix.ofFloats("attn.probs", scores, rows, len), null, outT);
        for (int i0 = 0; i0 < rows; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(rows, i0 + TRANSPOSE_BLOCK);
            for (int d = 0; d < headDim; d++) {
                int dst = (start + q0 + i0) * dim + head * headDim + d;
                for (int i = i0; i < i1; i++, dst += dim) context[dst] = outT[d * rows + i];
            }
        }
    }

    /** The keys of one head over the rows {@code [start, start+len)} into {@code k [len, headDim]}. */
    private void packKeys(float[] qkv, int start, int len, int head, float[] k) {
        for (int i = 0; i < len; i++) System.arraycopy(qkv, (start + i) * 3 * dim + dim + head * headDim, k, i * headDim, headDim);
    }

    /** The values of one head over the rows {@code [start, start+len)}, transposed, into {@code vT [headDim, len]}. */
    private void packValuesTransposed(float[] qkv, int start, int len, int head, float[] vT) {
        int stride = 3 * dim;
        for (int i0 = 0; i0 < len; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(len, i0 + TRANSPOSE_BLOCK);
            for (int d = 0; d < headDim; d++) {
                int src = (start + i0) * stride + 2 * dim + head * headDim + d;
                for (int i = i0; i < i1; i++, src += stride) vT[d * len + i] = qkv[src];
            }
        }
    }

    /**
     * Per (window, head): the keys {@code [len, headDim]} and the values transposed {@code [headDim, len]}, allocated
     * for the windows of the first call and reused while they stay the same (every block of one vision forward pass).
     */
    public static final class Workspace {
        private int[] starts = new int[0];
        private int heads;
        private int headDim;
        private float[][] keys = new float[0][];
        private float[][] valuesT = new float[0][];

        private void fit(int[] windowStarts, int heads, int headDim) {
            if (java.util.Arrays.equals(starts, windowStarts) && this.heads == heads && this.headDim == headDim) return;
            int windows = windowStarts.length - 1;
            keys = new float[windows * heads][];
            valuesT = new float[windows * heads][];
            for (int w = 0; w < windows; w++) {
                int len = windowStarts[w + 1] - windowStarts[w];
                for (int h = 0; h < heads; h++) {
                    keys[w * heads + h] = new float[len * headDim];
                    valuesT[w * heads + h] = new float[headDim * len];
                }
            }
            starts = windowStarts.clone();
            this.heads = heads;
            this.headDim = headDim;
        }
    }

    /** Per thread: one query block's queries, scores and transposed output, grown as needed and reused. */
    private static final ThreadLocal<BlockScratch> BLOCK_SCRATCH = ThreadLocal.withInitial(BlockScratch::new);

    private static final class BlockScratch {
        float[] q = new float[0];
        float[] scores = new float[0];
        float[] outT = new float[0];

        BlockScratch fit(int queryValues, int scoreValues) {
            if (q.length < queryValues) {
                q = new float[queryValues];
                outT = new float[queryValues];
            }
            if (scores.length < scoreValues) scores = new float[scoreValues];
            return this;
        }
    }
}
