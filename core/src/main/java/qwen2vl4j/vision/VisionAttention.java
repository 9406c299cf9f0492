package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;

/**
 * Multi-head self-attention of one vision block (spec §5.3, §5.4): fused q/k/v projection with
 * bias, 2-D rotary on q and k, {@code softmax(q·kᵀ / √headDim)·v} with no mask inside each frame
 * window and nothing across windows, then the output projection. The heads of small windows run side
 * by side; a large window runs one head at a time with each step split across the cores.
 */
public final class VisionAttention {
    private final Matrix qkv;        // [3·dim, dim]: rows q | k | v, head-major inside each
    private final float[] qkvBias;   // [3·dim]
    private final Matrix proj;       // [dim, dim]
    private final float[] projBias;  // [dim]
    private final int dim;
    private final int heads;
    private final int headDim;
    /** Windows of at least this many patches run one head at a time, each product split across the cores. */
    private static final int PARALLEL_WINDOW = 256;

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

    /** {@code x [n, dim]} (already normalised) → attention output {@code [n, dim]}. */
    public float[] forward(float[] x, int n, VisionGrids grids, VisionRotaryEmbedding.Table rope) {
        float[] qkvRows = new float[n * 3 * dim];   // [n, 3·dim] = q | k | v, each [heads, headDim]
        MatMul.matmul(x, n, qkv, qkvBias, qkvRows);
        // q and k are 2·heads consecutive head vectors at the start of each row
        VisionOps.rotaryHeads(qkvRows, n, 3 * dim, 2 * heads, headDim, rope.cos(), rope.sin());
        float[] context = new float[n * dim];       // [n, dim], heads concatenated
        int[] starts = grids.windowStarts();
        int windows = grids.windows();
        // small windows: every head of every window side by side, one task each
        ComputePool.forEach(windows * heads, task -> {
            int w = task / heads, start = starts[w], len = starts[w + 1] - start;
            if (len < PARALLEL_WINDOW) attendSmallWindow(qkvRows, start, len, task % heads, context);
        });
        // large windows: one head at a time, each step split across the cores
        for (int w = 0; w < windows; w++) {
            int start = starts[w], len = starts[w + 1] - start;
            if (len >= PARALLEL_WINDOW) attendLargeWindow(qkvRows, start, len, context);
        }
        float[] out = new float[n * dim];           // [n, dim]
        MatMul.matmul(context, n, proj, projBias, out);
        return out;
    }

    /** One head over the rows {@code [start, start+len)}, on the calling thread. */
    private void attendSmallWindow(float[] qkvRows, int start, int len, int head, float[] context) {
        Head h = new Head(len, headDim);
        packRows(qkvRows, start, len, head, h, 0, len);
        h.attend();
        unpackRows(h, start, head, context, 0, len);
    }

    /** Every head over the rows {@code [start, start+len)}, one after the other, packing and products split across the pool. */
    private void attendLargeWindow(float[] qkvRows, int start, int len, float[] context) {
        Head h = new Head(len, headDim);
        int chunks = Math.min(len, ComputePool.THREADS * 4);
        for (int head = 0; head < heads; head++) {
            int hd = head;
            ComputePool.forEach(chunks, c -> packRows(qkvRows, start, len, hd, h, c * len / chunks, (c + 1) * len / chunks));
            h.attend();
            ComputePool.forEach(chunks, c -> unpackRows(h, start, hd, context, c * len / chunks, (c + 1) * len / chunks));
        }
    }

    /**
     * One head over one window, packed for the GEMMs: its queries and keys {@code [len, headDim]} and
     * values transposed {@code [headDim, len]}. Both products take the long side ({@code len} rows of
     * keys, then of probabilities) as the GEMM's weight rows, the side it splits across the cores.
     */
    private static final class Head {
        final int len;
        final int headDim;
        final float[] q, k, vT, scores, outT;

        Head(int len, int headDim) {
            this.len = len;
            this.headDim = headDim;
            q = new float[len * headDim];
            k = new float[len * headDim];
            vT = new float[headDim * len];
            scores = new float[len * len];    // [len queries, len keys]
            outT = new float[headDim * len];  // [headDim, len queries]
        }

        /** {@code outᵀ = (softmax(q·kᵀ / √headDim)·v)ᵀ = vᵀ·softmax(…)ᵀ}. */
        void attend() {
            MatMul.matmul(q, len, Matrix.ofFloats("attn.k", k, len, headDim), null, scores);
            VisionOps.softmaxRows(scores, len, len, (float) (1.0 / Math.sqrt(headDim)));
            MatMul.matmul(vT, headDim, Matrix.ofFloats("attn.probs", scores, len, len), null, outT);
        }
    }

    /** Rows to transpose together: their values stay in cache while each lands in its column of vᵀ. */
    private static final int TRANSPOSE_BLOCK = 16;

    /** Copies rows {@code [from, to)} of the window of one head out of {@code qkvRows} into {@code h}. */
    private void packRows(float[] qkvRows, int start, int len, int head, Head h, int from, int to) {
        int stride = 3 * dim;
        for (int i = from; i < to; i++) {
            int row = (start + i) * stride + head * headDim;
            System.arraycopy(qkvRows, row, h.q, i * headDim, headDim);
            System.arraycopy(qkvRows, row + dim, h.k, i * headDim, headDim);
        }
        for (int i0 = from; i0 < to; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(to, i0 + TRANSPOSE_BLOCK);
            for (int d = 0; d < headDim; d++) {
                int src = (start + i0) * stride + 2 * dim + head * headDim + d;
                for (int i = i0; i < i1; i++, src += stride) h.vT[d * len + i] = qkvRows[src];
            }
        }
    }

    /** Writes rows {@code [from, to)} of the head's output (held transposed) into its slice of {@code context}. */
    private void unpackRows(Head h, int start, int head, float[] context, int from, int to) {
        int len = h.len;
        for (int i0 = from; i0 < to; i0 += TRANSPOSE_BLOCK) {
            int i1 = Math.min(to, i0 + TRANSPOSE_BLOCK);
            for (int d = 0; d < headDim; d++) {
                int dst = (start + i0) * dim + head * headDim + d;
                for (int i = i0; i < i1; i++, dst += dim) context[dst] = h.outT[d * len + i];
            }
        }
    }
}
