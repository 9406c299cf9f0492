package qwen2vl4j.vision;

import java.util.stream.IntStream;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
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
        IntStream.range(0, windows * heads).parallel().forEach(task -> {
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

    /** One head over the rows {@code [start, start+len)}: writes its slice of {@code context}. */
    private void attendWindow(float[] qkvRows, int start, int len, int head, float[] context) {
        int stride = 3 * dim;
        int qOff = head * headDim, kOff = dim + head * headDim, vOff = 2 * dim + head * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] scores = new float[len];             // [len] for one query
        for (int i = 0; i < len; i++) {
            int query = (start + i) * stride + qOff;
            for (int j = 0; j < len; j++) {
                scores[j] = VisionOps.dot(qkvRows, query, qkvRows, (start + j) * stride + kOff, headDim) * scale;
            }
            VisionOps.softmax(scores, 0, len);
            int out = (start + i) * dim + head * headDim;
            for (int j = 0; j < len; j++) {
                VisionOps.axpy(scores[j], qkvRows, (start + j) * stride + vOff, context, out, headDim);
            }
        }
    }
}
