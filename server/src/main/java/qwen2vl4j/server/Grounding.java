package qwen2vl4j.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Qwen2-VL's grounding output: {@code <|object_ref_start|>label<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>}
 * with corners normalised to 0–1000, read from an answer decoded with its special tokens, and scaled to the pixels
 * of the original image.
 */
public final class Grounding {
    private static final Pattern BOX = Pattern.compile(
            "(?:<\\|object_ref_start\\|>(.*?)<\\|object_ref_end\\|>\\s*)?"
                    + "<\\|box_start\\|>\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)\\s*,\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)\\s*<\\|box_end\\|>",
            Pattern.DOTALL);

    private Grounding() {}

    /**
     * One box: its label (the object reference before it, or the previous box's label when several boxes follow
     * one reference; null when there is none) and its corners in Qwen2-VL's 0–1000 coordinates.
     */
    public record Box(String label, int x1, int y1, int x2, int y2) {
        /** The corners in pixels of a {@code width × height} image: {@code [x1, y1, x2, y2]}. */
        public double[] pixels(int width, int height) {
            return new double[] {x1 * width / 1000.0, y1 * height / 1000.0, x2 * width / 1000.0, y2 * height / 1000.0};
        }
    }

    /** Every box in {@code text} (which must still hold the special tokens), in order. */
    public static List<Box> parse(String text) {
        List<Box> boxes = new ArrayList<>();
        Matcher m = BOX.matcher(text);
        String label = null;
        while (m.find()) {
            if (m.group(1) != null) label = m.group(1).trim();
            boxes.add(new Box(label, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5))));
        }
        return boxes;
    }

    /**
     * The JSON form: {@code label}, {@code box_1000} (the normalised corners) and, when the image size is known,
     * {@code box} in pixels with {@code image_width} / {@code image_height}.
     *
     * @param imageSize {@code {width, height}} of the image the boxes refer to, or null
     */
    public static List<Map<String, Object>> toJson(List<Box> boxes, int[] imageSize) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Box b : boxes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", b.label());
            m.put("box_1000", List.of(b.x1(), b.y1(), b.x2(), b.y2()));
            if (imageSize != null) {
                double[] p = b.pixels(imageSize[0], imageSize[1]);
                m.put("box", List.of(round(p[0]), round(p[1]), round(p[2]), round(p[3])));
                m.put("image_width", imageSize[0]);
                m.put("image_height", imageSize[1]);
            }
            out.add(m);
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
