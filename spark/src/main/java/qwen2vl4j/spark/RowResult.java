package qwen2vl4j.spark;

import java.io.Serializable;
import java.util.List;
import qwen2vl4j.grounding.Box;

/**
 * The answer to one row: either a generation or an error, never both.
 *
 * @param text             the generated text (special tokens dropped); null on error
 * @param boxes            grounding boxes in pixels of the original image; empty on error
 * @param promptTokens     prompt tokens, image pad tokens included; 0 on error
 * @param imageTokens      pad tokens standing for the image
 * @param completionTokens generated tokens
 * @param finishReason     {@code stop} or {@code length}; null on error
 * @param error            why the row has no answer (naming the row and the cause), or null
 */
public record RowResult(String text, List<Box> boxes, int promptTokens, int imageTokens, int completionTokens,
                        String finishReason, String error) implements Serializable {

    public RowResult {
        boxes = boxes == null ? List.of() : List.copyOf(boxes);
    }

    static RowResult failed(String error) {
        return new RowResult(null, List.of(), 0, 0, 0, null, error);
    }
}
