package qwen2vl4j.vision;

import java.util.stream.IntStream;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;

/**
 * Multi-head self-attention of one vision block (spec §5.3, §5.4): fused q/k/v projection with
 * bias, 2-D rotary on q and k, {@code softmax(q·kᵀ / √headDim)·v} with no mask inside each frame
 * window and nothing across windows, then the output projection. Heads × windows run in parallel.
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
        rotateQueriesAndKeys(qkvRows, n, rope);
        float[] context = new float[n * dim];       // [n, dim], heads concatenated
        int windows = grids.windows();
        int largest = 0;
        for (int w = 0; w < windows; w++) largest = Math.max(largest, grids.windowStarts()[w + 1] - grids.windowStarts()[w]);
        IntStream tasks = IntStream.range(0, windows * heads);
        if (largest < PARALLEL_WINDOW) tasks = tasks.parallel();  // small windows: heads side by side; large: the GEMMs split
        tasks.forEach(task -> {
            int w = task / heads, head = task % heads;
            int start = grids.windowStarts()[w], end = grids.windowStarts()[w + 1];
            attendWindow(qkvRows, start, end - start, head, context);
        });
        float[] out = new float[n * dim];           // [n, dim]
        MatMul.matmul(context, n, proj, projBias, out);
        return out;
    }

    /** Applies the rotary table to q and k of every head of every row, in place. */
    private void rotateQueriesAndKeys(float[] qkvRows, int n, VisionRotaryEmbedding.Table rope) {
        int half = rope.half();
        for (int r = 0; r < n; r++) {
            for (int head = 0; head < heads; head++) {
                int q = r * 3 * dim + head * headDim;
                int k = q + dim;
                VisionOps.rotary(qkvRows, q, rope.cos(), rope.sin(), r * half, half);
                VisionOps.rotary(qkvRows, k, rope.cos(), rope.sin(), r * half, half);
            }
        }
    }

    /**
     * One head over the rows {@code [start, start+len)}: writes its slice of {@code context}. Both products are
     * GEMMs over the window's packed q, k and vᵀ, so each loaded key or value row serves many queries.
     */
    private void attendWindow(float[] qkvRows, int start, int len, int head, float[] context) {
        int stride = 3 * dim;
        float[] q = new float[len * headDim];          // [len, headDim]
        float[] k = new float[len * headDim];          // [len, headDim]
        float[] vT = new float[headDim * len];         // [headDim, len]
        for (int i = 0; i < len; i++) {
            int row = (start + i) * stride + head * headDim;
            System.arraycopy(qkvRows, row, q, i * headDim, headDim);
            System.arraycopy(qkvRows, row + dim, k, i * headDim, headDim);
            for (int d = 0; d < headDim; d++) vT[d * len + i] = qkvRows[row + 2 * dim + d];
        }
        float[] scores = new float[len * len];         // [len queries, len keys] = q·kᵀ
        MatMul.matmul(q, len, Matrix.ofFloats("attn.k", k, len, headDim), null, scores);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int chunks = len >= PARALLEL_WINDOW ? ComputePool.THREADS * 4 : 1;   // rows of a large window across the cores
        ComputePool.forEach(chunks, c -> {
            for (int i = c * len / chunks, to = (c + 1) * len / chunks; i < to; i++) {
                int off = i * len;
                for (int j = 0; j < len; j++) scores[off + j] *= scale;
                VisionOps.softmax(scores, off, len);
            }
        });
        float[] out = new float[len * headDim];        // [len, headDim] = softmax(scores)·v
        MatMul.matmul(scores, len, Matrix.ofFloats("attn.vT", vT, headDim, len), null, out);
        for (int i = 0; i < len; i++) {
            System.arraycopy(out, i * headDim, context, (start + i) * dim + head * headDim, headDim);
        }
    }
}
