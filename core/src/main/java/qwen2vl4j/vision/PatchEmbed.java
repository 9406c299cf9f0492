package qwen2vl4j.vision;

import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/**
 * The Conv3d patch embedding (Hugging Face's {@code PatchEmbed}). Kernel and stride both equal one patch, so the
 * convolution is a matmul of each flattened {@code [C·T·P·P]} pixel row with the kernel viewed
 * as {@code [embedDim, C·T·P·P]}; the column order {@code (c, t, ky, kx)} is the pixel row's.
 */
public final class PatchEmbed {
    private final Matrix proj;

    private PatchEmbed(Matrix proj) {
        this.proj = proj;
    }

    /** Loads {@code visual.patch_embed.proj.weight} {@code [embedDim, C, T, P, P]} (no bias). */
    public static PatchEmbed load(Weights weights, VisionConfig c) {
        var kernel = weights.tensor("visual.patch_embed.proj.weight",
                c.embedDim(), c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize());
        return new PatchEmbed(Matrix.of(kernel, c.embedDim(), c.patchValues()));
    }

    /** {@code pixelValues [patches, C·T·P·P]} → {@code [patches, embedDim]}. */
    public float[] forward(float[] pixelValues, int patches) {
        float[] out = new float[patches * proj.rows()];   // [patches, embedDim]
        MatMul.rowStableMatmul(pixelValues, patches, proj, null, out);
        return out;
    }
}
