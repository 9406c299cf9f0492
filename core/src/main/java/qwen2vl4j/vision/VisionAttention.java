package qwen2vl4j.vision;

import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;

/**
 * Multi-head self-attention of one vision block (spec §5.3, §5.4): fused q/k/v projection with
 * bias, 2-D rotary on q and k, {@code softmax(q·kᵀ / √headDim)·v} with no mask inside each frame
 * window and nothing across windows, then the output projection. Each head of each window is cut into
 * blocks of query rows, all run side by side: a block's scores against every key of its window stay in
 * cache between the two products and the softmax.
 */
public final class VisionAttention {
    private final Matrix qkv;        // [3·dim, dim]: rows q | k | v, head-major inside each
    private final float[] qkvBias;   // [3·dim]
    private final Matrix proj;       // [dim, dim]
    private final float[] projBias;  // [dim]
    private final int dim;
    private final int heads;
    private final int headDim;
    /** Query rows per block are a multiple of this: whole GEMM row groups (6) and weight tiles (32). */
    private static final int BLOCK_QUANTUM = 96;
    /** A block's scores ({@code rows × window} floats) aim to fit this many floats, about a second-level cache. */
    private static final int BLOCK_SCORES = 1 << 18;
    /** Rows to transpose together: their values stay in cache while each lands in its column. */
    private static final int TRANSPOSE_BLOCK = 16;

    private VisionAttention(Matrix qkv, float[] qkvBias, Matrix proj, float[] projBias, int heads) {
        this.qkv = qkv;
        this.qkvBias = qkvBias;
        this.proj = proj;
        this.projBias = projBias;
        this.dim = proj.rows();
        this.heads = heads;
        this.headDim = dim / heads;
    }

    /** Loads {@code visual.blocks.{block}.attn.*}. */
    public static VisionAttention load(Weights weights, VisionConfig c, int block) {
        int dim = c.embedDim();
        return new VisionAttention(
                Matrix.of(weights.tensor("visual.blocks." + block + ".attn.qkv.weight", 3L * dim, dim)),
                weights.tensor("visual.blocks." + block + ".attn.qkv.bias", 3L * dim).toFloatArray(),
                Matrix.of(weights.tensor("visual.blocks." + block + ".attn.proj.weight", dim, dim)),
                weights.tensor("visual.blocks." + block + ".attn.proj.bias", dim).toFloatArray(),
                c.numHeads());
    }

    /** {@code x [n, dim]} (already normalised) → attention output {@code [n, dim]}, in buffers of its own. */
    public float[] forward(float[] x, int n, VisionGrids grids, VisionRotaryEmbedding.Table rope) {
        VisionState state = new VisionState(dim, heads, 0, grids, n);
        forward(x, state, grids, rope);
        return state.out;
    }

    /** {@code x [n, dim]} (already normalised) → attention output in {@code state.out [n, dim]}. */
    void forward(float[] x, VisionState state, VisionGrids grids, VisionRotaryEmbedding.Table rope) {
        int n = state.patches;
        float[] qkvRows = state.qkvRows;            // [n, 3·dim] = q | k | v, each [heads, headDim]
        MatMul.matmul(x, n, qkv, qkvBias, qkvRows);
        // q and k are 2·heads consecutive head vectors at the start of each row
        VisionOps.rotaryHeads(qkvRows, n, 3 * dim, 2 * heads, headDim, rope.cos(), rope.sin());
        int[] starts = grids.windowStarts();
        int windows = grids.windows();
        float[][] keys = state.keys;                         // per (window, head): [len, headDim]
        float[][] valuesT = state.valuesT;                   // per (window, head): [headDim, len]
        ComputePool.forEach(windows * heads, wh -> {
            int w = wh / heads, start = starts[w], len = starts[w + 1] - start;
            packKeys(qkvRows, start, len, wh % heads, keys[wh]);
            packValuesTransposed(qkvRows, start, len, wh % heads, valuesT[wh]);
        });
        List<int[]> blocks = new ArrayList<>();               // {window·heads + head, first query, end}
        for (int w = 0; w < windows; w++) {
            int len = starts[w + 1] - starts[w], rows = blockRows(len);
            for (int head = 0; head < heads; head++) {
                for (int q0 = 0; q0 < len; q0 += rows) blocks.add(new int[] {w * heads + head, q0, Math.min(len, q0 + rows)});
            }
        }
        float[] context = state.context;            // [n, dim], heads concatenated
        ComputePool.forEach(blocks.size(), b -> {
            int[] block = blocks.get(b);
            int wh = block[0], start = starts[wh / heads];
            attendBlock(qkvRows, start, starts[wh / heads + 1] - start, wh % heads, keys[wh], valuesT[wh], block[1], block[2], context);
        });
        MatMul.matmul(context, n, proj, projBias, state.out);    // [n, dim]
    }

    /**
     * Query blocks of windows too long for {@link #BLOCK_SCORES} take this many quanta: every block packs
     * all keys of its window for its GEMM, and 384 queries amortise that (a 1280-token image, one window
     * of 5120 patches: 145 s → 131 s in the same bench session, against 96-row blocks).
     */
    private static final int LONG_WINDOW_QUANTA = 4;

    /** Query rows per block for a window of {@code len}: a multiple of {@link #BLOCK_QUANTUM}, scores about {@link #BLOCK_SCORES}. */
    static int blockRows(int len) {
        int quanta = BLOCK_SCORES / len / BLOCK_QUANTUM;
        return BLOCK_QUANTUM * (quanta >= 1 ? quanta : LONG_WINDOW_QUANTA);
    }

    /**
     * The queries {@code [q0, q1)} of one head of one window against all its keys:
     * {@code softmax(q·kᵀ / √headDim)·v} into the head's slice of those rows of {@code context}.
     * The second product is taken transposed, {@code vᵀ·Pᵀ}, so the probabilities are the GEMM's
     * weight rows and the few {@code headDim} rows of {@code vᵀ} its input.
     */
    private void attendBlock(float[] qkvRows, int start, int len, int head, float[] keys, float[] valuesT,
                             int q0, int q1, float[] context) {
        int rows = q1 - q0;
        BlockScratch s = BLOCK_SCRATCH.get().fit(rows * headDim, rows * len);
        float[] q = s.q;                                       // [rows, headDim]
        for (int i = 0; i < rows; i++) System.arraycopy(qkvRows, (start + q0 + i) * 3 * dim + head * headDim, q, i * headDim, headDim);
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
    private void packKeys(float[] qkvRows, int start, int len, int head, float[] k) {
        for (int i = 0; i < len; i++) System.arraycopy(qkvRows, (start + i) * 3 * dim + dim + head * headDim, k, i * headDim, headDim);
    }

    /** The values of one head over the rows {@code [start, start+len)}, transposed, into {@code vT [headDim, len]}. */
    private void packValuesTransposed(float[] qkvRows, int start, int len, int head, float[] vT) {
        int stride = 3 * dim;
        for (int i0 = 0; i0 < len; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(len, i0 + TRANSPOSE_BLOCK);
            for (int d = 0; d < headDim; d++) {
                int src = (start + i0) * stride + 2 * dim + head * headDim + d;
                for (int i = i0; i < i1; i++, src += stride) vT[d * len + i] = qkvRows[src];
            }
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
