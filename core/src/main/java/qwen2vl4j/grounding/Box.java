package qwen2vl4j.grounding;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An axis-aligned box the model pointed at, with the text of the {@code <|object_ref_start|>...<|object_ref_end|>}
 * reference it belongs to. Coordinates are either pixels of the original image ({@link Grounding#parse}) or
 * Qwen2-VL's normalised 0–1000 grid ({@link Grounding#parseNormalized}); always {@code x1 <= x2} and
 * {@code y1 <= y2}, (x1, y1) the top-left corner.
 *
 * @param label the reference text, trimmed; null for a box without a reference
 */
public record Box(String label, double x1, double y1, double x2, double y2) {

    public Box {
        if (!(x1 <= x2) || !(y1 <= y2)) {
            throw new IllegalArgumentException("box corners must be ordered (x1 <= x2, y1 <= y2), found ("
                    + x1 + "," + y1 + "),(" + x2 + "," + y2 + ")");
        }
    }

    /** Width of the box, {@code x2 - x1}. */
    public double width() {
        return x2 - x1;
    }

    /** Height of the box, {@code y2 - y1}. */
    public double height() {
        return y2 - y1;
    }

    /** JSON-ready map in the order label, x1, y1, x2, y2 (label may be null). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("x1", x1);
        m.put("y1", y1);
        m.put("x2", x2);
        m.put("y2", y2);
        return m;
    }
}
