package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.kernels.TextOps;

/**
 * Multimodal rotary embedding (HF {@code Qwen2VLRotaryEmbedding}): float32 inverse frequencies from
 * rope_theta and, per token, one angle per frequency taken from the axis that mrope_section assigns to it.
 */
final class MRope {
    private final float[] invFreq;
    private final int[] section;

    MRope(TextConfig config) {
        this.invFreq = TextOps.ropeInverseFrequencies(config.headDim(), config.ropeTheta());
        this.section = config.mropeSection().clone();
    }

    /** Frequencies per head: headDim / 2. */
    int half() {
        return invFreq.length;
    }

    /** cos/sin {@code [n, half]} of tokens {@code positions[·][from .. from+n)}. */
    void cosSin(int[][] positions, int from, int n, float[] cos, float[] sin) {
        for (int i = 0; i < n; i++) {
            TextOps.mropeCosSin(positions[0][from + i], positions[1][from + i], positions[2][from + i],
                    invFreq, section, cos, sin, i * invFreq.length);
        }
    }

    /** cos/sin {@code [half]} of one token at {@code position} on all three axes. */
    void cosSin(int position, float[] cos, float[] sin) {
        TextOps.mropeCosSin(position, position, position, invFreq, section, cos, sin, 0);
    }
}
