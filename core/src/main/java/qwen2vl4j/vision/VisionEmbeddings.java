package qwen2vl4j.vision;

import java.util.List;
import qwen2vl4j.preprocess.Grid;

/**
 * The vision tower's output for several images (or several videos): one embedding of the text hidden size per
 * merged token, items concatenated in order ({@code image_embeds} / {@code video_embeds} of
 * {@code Qwen2VLModel.forward}), ready to replace the pad tokens of the prompt in the same order.
 *
 * @param data   {@code [rows, hidden]} row-major
 * @param rows   merged tokens, {@code Σ grid.tokens(mergeSize)}
 * @param hidden width of a row (the text model's hidden size)
 * @param grids  the patch grid of each item, in order
 */
public record VisionEmbeddings(float[] data, int rows, int hidden, List<Grid> grids) {
    public VisionEmbeddings {
        if ((long) rows * hidden != data.length) {
            throw new IllegalArgumentException("vision embeddings of " + rows + " rows × " + hidden + " need " + (long) rows * hidden
                    + " values, found " + data.length);
        }
        grids = List.copyOf(grids);
    }
}
