package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;

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
    /** Per (window, head): the keys {@code [len, headDim]} and the values transposed {@code [headDim, len]}. */
    final float[][] keys;
    final float[][] valuesT;

    /** Buffers for {@code patches} patches in {@code grids}' windows, at the geometry of {@code c}. */
    VisionState(VisionConfig c, VisionGrids grids, int patches) {
        this(c.embedDim(), c.numHeads(), c.mlpHiddenDim(), grids, patches);
    }

    /** Buffers for {@code patches} patches: width {@code dim}, {@code heads} heads, MLP width {@code mlpHiddenDim} (0: no MLP). */
    VisionState(int dim, int heads, int mlpHiddenDim, VisionGrids grids, int patches) {
        int headDim = dim / heads;
        this.patches = patches;
        normed = new float[patches * dim];
        qkvRows = new float[patches * 3 * dim];
        context = new float[patches * dim];
        out = new float[patches * dim];
        mlpHidden = new float[patches * mlpHiddenDim];
        int windows = grids.windows();
        int[] starts = grids.windowStarts();
        keys = new float[windows * heads][];
        valuesT = new float[windows * heads][];
        for (int w = 0; w < windows; w++) {
            int len = starts[w + 1] - starts[w];
            for (int h = 0; h < heads; h++) {
                keys[w * heads + h] = new float[len * headDim];
                valuesT[w * heads + h] = new float[headDim * len];
            }
        }
    }
}
