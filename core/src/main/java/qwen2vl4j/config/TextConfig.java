package qwen2vl4j.config;

/**
 * The Qwen2 text decoder's geometry (Hugging Face's {@code Qwen2VLTextConfig}), whichever form config.json was written in.
 *
 * @param mropeSection rotary frequency pairs given to the temporal, height and width axes (sum = headDim / 2)
 */
public record TextConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int vocabSize,
        double rmsNormEps,
        double ropeTheta,
        int[] mropeSection,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings) {

    /** Width of the key/value projections: numKeyValueHeads × headDim. */
    public int kvDim() {
        return numKeyValueHeads * headDim;
    }
}
