package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.VisionOps;
import qwen2vl4j.kernels.WindowAttention;

/**
 * Multi-head self-attention of one vision block (HF VisionAttention): fused q/k/v projection with bias, 2-D rotary
 * on q and k (apply_rotary_pos_emb_vision), attention inside each frame window ({@link WindowAttention}), then the
 * output projection.
 */
public final class VisionAttention {
    private final Matrix qkv;        // [3·dim, dim]: rows q | k | v, head-major inside each
    private final float[] qkvBias;   // [3·dim]
    private final Matrix proj;       // [dim, dim]
    private final float[] projBias;  // [dim]
    private final int dim;
    private final int heads;
    private final int headDim;
    private final WindowAttention attention;

    private VisionAttention(Matrix qkv, float[] qkvBias, Matrix proj, float[] projBias, int heads) {
        this.qkv = qkv;
        this.qkvBias = qkvBias;
        this.proj = proj;
        this.projBias = projBias;
        this.dim = proj.rows();
        this.heads = heads;
        this.headDim = dim / heads;
        this.attention = new WindowAttention(heads, headDim);
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
        MatMul.rowStableMatmul(x, n, qkv, qkvBias, qkvRows);
        // q and k are 2·heads consecutive head vectors at the start of each row
        VisionOps.rotaryHeads(qkvRows, n, 3 * dim, 2 * heads, headDim, rope.cos(), rope.sin());
        attention.attend(qkvRows, grids.windowStarts(), state.attention, state.context);   // [n, dim], heads concatenated
        MatMul.rowStableMatmul(state.context, n, proj, projBias, state.out);                        // [n, dim]
    }
}
