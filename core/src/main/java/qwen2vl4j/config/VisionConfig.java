package qwen2vl4j.config;

/**
 * The vision tower's geometry (Hugging Face's {@code Qwen2VLVisionConfig}). {@code embedDim} is the ViT width; {@code hiddenSize}
 * is the merger's output width, which equals the text hidden size.
 */
public record VisionConfig(
        int depth,
        int embedDim,
        int hiddenSize,
        int numHeads,
        int mlpRatio,
        int inChannels,
        int patchSize,
        int spatialMergeSize,
        int temporalPatchSize,
        String hiddenAct) {

    public int headDim() {
        return embedDim / numHeads;
    }

    public int mlpHiddenDim() {
        return embedDim * mlpRatio;
    }

    /** Values per flattened patch: channels × temporal × patch × patch (1176 for Qwen2-VL). */
    public int patchValues() {
        return inChannels * temporalPatchSize * patchSize * patchSize;
    }

    /** Width of one merged token before the merger MLP: embedDim × merge². */
    public int mergedDim() {
        return embedDim * spatialMergeSize * spatialMergeSize;
    }
}
