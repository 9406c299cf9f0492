package qwen2vl4j.vision;

import qwen2vl4j.io.ModelLoadException;

/**
 * The 2-D rotary embedding of the vision tower (Hugging Face's {@code VisionRotaryEmbedding}): θ = 10000 over {@code headDim/2}
 * dimensions, so {@code headDim/4} frequencies; the first half of a head's rotary angles uses
 * the patch's height position, the second half its width position. Angles are float32 products,
 * as in the reference.
 */
public final class VisionRotaryEmbedding {
    /** The rotary base of the vision tower. */
    public static final double THETA = 10000.0;

    private final int headDim;
    private final float[] invFreq;   // [headDim/4]

    /** The cos/sin tables, {@code [patches, headDim/2]} each; angle {@code j} rotates dims {@code j} and {@code j + headDim/2}. */
    public record Table(float[] cos, float[] sin, int half) {}

    /** Rotary frequencies for heads of {@code headDim} (a multiple of 4). */
    public VisionRotaryEmbedding(int headDim) {
        if (headDim <= 0 || headDim % 4 != 0) {
            throw new ModelLoadException("vision head_dim (embed_dim / num_heads) is " + headDim + ": the 2-D rotary embedding needs a positive multiple of 4");
        }
        this.headDim = headDim;
        int dim = headDim / 2;
        invFreq = new float[dim / 2];
        for (int k = 0; k < invFreq.length; k++) {
            float exponent = (float) (2 * k) / dim;
            invFreq[k] = 1f / (float) Math.pow(THETA, exponent);
        }
    }

    /** The tables for every patch row of {@code grids}. */
    public Table table(VisionGrids grids) {
        int half = headDim / 2, quarter = invFreq.length;
        int patches = grids.patches();
        float[] cos = new float[patches * half];   // [patches, half]
        float[] sin = new float[patches * half];
        for (int r = 0; r < patches; r++) {
            float h = grids.heightPositions()[r], w = grids.widthPositions()[r];
            for (int k = 0; k < quarter; k++) {
                float heightAngle = h * invFreq[k];
                float widthAngle = w * invFreq[k];
                cos[r * half + k] = (float) Math.cos(heightAngle);
                sin[r * half + k] = (float) Math.sin(heightAngle);
                cos[r * half + quarter + k] = (float) Math.cos(widthAngle);
                sin[r * half + quarter + k] = (float) Math.sin(widthAngle);
            }
        }
        return new Table(cos, sin, half);
    }
}
