package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.kernels.WindowAttention;

/**
 * The buffers of one vision forward pass, sized for its patches and reused by every block, so that
 * encoding an image allocates them once instead of once per block (a 1280-token image would
 * otherwise allocate about 10 GB over the 32 blocks, which grows the Java heap to match).
 * Belongs to one call of {@link VisionTransformer#forward}; never shared between threads.
 */
final class VisionState {
    final int patches;
    /** {@code [patches, embedDim]}: the normalised input of the attention, then of the MLP. */
    final float[] normed;
    /** {@code [patches, 3·embedDim]}: q | k | v of every patch. */
    final float[] qkvRows;
    /** {@code [patches, embedDim]}: the attention's heads concatenated, before the output projection. */
    final float[] context;
    /** {@code [patches, embedDim]}: the output of the attention, then of the MLP, before the residual add. */
    final float[] out;
    /** {@code [patches, mlpHidden]}. */
    final float[] mlpHidden;
    /** The window attention's per-(window, head) keys and transposed values, allocated once for all blocks. */
    final WindowAttention.Workspace attention = new WindowAttention.Workspace();

    /** Buffers for {@code patches} patches in {@code grids}' windows, at the geometry of {@code c}. */
    VisionState(VisionConfig c, VisionGrids grids, int patches) {
        this(c.embedDim(), c.numHeads(), c.mlpHiddenDim(), grids, patches);
    }

    /** Buffers for {@code patches} patches: width {@code dim}, {@code heads} heads, MLP width {@code mlpHiddenDim} (0: no MLP). */
    VisionState(int dim, int heads, int mlpHiddenDim, VisionGrids grids, int patches) {
        this.patches = patches;
        normed = new float[patches * dim];
        qkvRows = new float[patches * 3 * dim];
        context = new float[patches * dim];
        out = new float[patches * dim];
        mlpHidden = new float[patches * mlpHiddenDim];
    }
}
