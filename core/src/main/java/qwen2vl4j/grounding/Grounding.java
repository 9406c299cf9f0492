package qwen2vl4j.grounding;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Reads the boxes out of a Qwen2-VL grounding answer such as
 * {@code <|object_ref_start|>the cat<|object_ref_end|><|box_start|>(120,300),(560,910)<|box_end|>}.
 *
 * <p>Qwen2-VL writes corners on a 0–1000 grid relative to the image it saw; since the processor keeps the aspect
 * ratio (up to rounding to whole patches), {@link #parse} maps them onto the original image as
 * {@code x * width / 1000}, {@code y * height / 1000}.
 *
 * <p>The tags are special tokens, which {@link GenerationResult#text()} leaves out (it is decoded with
 * {@code skipSpecial = true}): parse the generated ids decoded with the special tokens kept, as
 * {@link #parse(GenerationResult, Tokenizer, int, int)} does.
 *
 * <p>Rules, chosen to be forgiving because the input is model output:
 * <ul>
 *   <li>A box takes the label of the reference written before it (since the previous box). Further boxes right after
 *       it, separated only by spaces, punctuation or "and", keep that label; a box after other text and no new
 *       reference has no label (null). A reference with no box is ignored.</li>
 *   <li>{@code <|quad_start|>(x1,y1),(x2,y2),(x3,y3),(x4,y4)<|quad_end|>} becomes the axis-aligned box around its
 *       four points.</li>
 *   <li>A box is skipped, never an error, when its tag is not closed before the next tag (or the end), or when its
 *       content is not exactly 2 (quad: 4) parenthesised pairs of numbers. A reference not closed before the next tag
 *       ends there.</li>
 *   <li>Corners may come in any order; they are sorted so that {@code x1 <= x2}, {@code y1 <= y2}, and clamped to
 *       the 0–1000 grid (hence to the image).</li>
 * </ul>
 */
public final class Grounding {
    /** The size of the normalised grid Qwen2-VL writes coordinates on. */
    public static final double GRID = 1000.0;

    private static final String NUMBER = "([+-]?\\d+(?:\\.\\d+)?)";
    private static final String POINT = "\\(\\s*" + NUMBER + "\\s*,\\s*" + NUMBER + "\\s*\\)";
    private static final Pattern BOX = Pattern.compile("\\s*" + POINT + "\\s*,?\\s*" + POINT + "\\s*");
    private static final Pattern QUAD = Pattern.compile("\\s*" + POINT + ("\\s*,?\\s*" + POINT).repeat(3) + "\\s*");
    private static final Pattern SEPARATORS = Pattern.compile("(?:[\\s\\p{IsPunctuation}]|and)*", Pattern.CASE_INSENSITIVE);

    private Grounding() {}

    /** The grounding tags of Qwen2-VL's vocabulary. */
    enum Tag {
        REF_START("<|object_ref_start|>"), REF_END("<|object_ref_end|>"),
        BOX_START("<|box_start|>"), BOX_END("<|box_end|>"),
        QUAD_START("<|quad_start|>"), QUAD_END("<|quad_end|>");

        final String text;

        Tag(String text) {
            this.text = text;
        }
    }

    /** One tag found in the text, at {@code [start, end)}. */
    private record Found(Tag tag, int start, int end) {}

    /**
     * The boxes of the answer generated in {@code result}, in pixels of a {@code imageWidth x imageHeight} original
     * image: the generated ids are decoded with their special tokens kept.
     */
    public static List<Box> parse(GenerationResult result, Tokenizer tokenizer, int imageWidth, int imageHeight) {
        return parse(tokenizer.decode(result.ids(), false), imageWidth, imageHeight);
    }

    /**
     * The boxes of {@code textWithSpecialTokens} in pixels of the original image, clamped to
     * {@code [0, imageWidth] x [0, imageHeight]}. Never throws for malformed text; null text has no boxes.
     *
     * @throws IllegalArgumentException when the image size is not positive
     */
    public static List<Box> parse(String textWithSpecialTokens, int imageWidth, int imageHeight) {
        if (imageWidth <= 0 || imageHeight <= 0) {
            throw new IllegalArgumentException("image size must be positive, found " + imageWidth + "x" + imageHeight);
        }
        List<Box> out = new ArrayList<>();
        for (Box b : parseNormalized(textWithSpecialTokens)) {
            out.add(new Box(b.label(), scale(b.x1(), imageWidth), scale(b.y1(), imageHeight),
                    scale(b.x2(), imageWidth), scale(b.y2(), imageHeight)));
        }
        return out;
    }

    /** The boxes of {@code textWithSpecialTokens} on Qwen2-VL's 0–1000 grid, clamped to it; same rules as {@link #parse}. */
    public static List<Box> parseNormalized(String textWithSpecialTokens) {
        List<Box> out = new ArrayList<>();
        if (textWithSpecialTokens == null) return out;
        String text = textWithSpecialTokens;
        String label = null;          // the latest reference
        boolean labelUnused = false;  // no box took it yet
        String lastLabel = null;      // label of the previous box
        int lastBoxEnd = 0;
        int pos = 0;
        for (Found t = next(text, pos); t != null; t = next(text, pos)) {
            switch (t.tag()) {
                case REF_START -> {
                    Found end = next(text, t.end());
                    int contentEnd = end == null ? text.length() : end.start();
                    String ref = text.substring(t.end(), contentEnd).strip();
                    label = ref.isEmpty() ? null : ref;
                    labelUnused = true;
                    pos = end != null && end.tag() == Tag.REF_END ? end.end() : contentEnd;
                }
                case BOX_START, QUAD_START -> {
                    Found end = next(text, t.end());
                    Tag closing = t.tag() == Tag.BOX_START ? Tag.BOX_END : Tag.QUAD_END;
                    if (end == null || end.tag() != closing) {      // unclosed: skip it
                        pos = end == null ? text.length() : end.start();
                        break;
                    }
                    double[] points = points(text.substring(t.end(), end.start()), t.tag() == Tag.BOX_START ? BOX : QUAD);
                    if (points != null) {
                        String boxLabel = labelUnused ? label
                                : lastLabel != null && isSeparator(text.substring(lastBoxEnd, t.start())) ? lastLabel : null;
                        out.add(enclosing(boxLabel, points));
                        labelUnused = false;
                        lastLabel = boxLabel;
                        lastBoxEnd = end.end();
                    }
                    pos = end.end();
                }
                default -> pos = t.end();                                  // a stray closing tag
            }
        }
        return out;
    }

    /** The first grounding tag at or after {@code from}, or null. */
    private static Found next(String text, int from) {
        Found best = null;
        for (Tag tag : Tag.values()) {
            int i = text.indexOf(tag.text, from);
            if (i >= 0 && (best == null || i < best.start())) best = new Found(tag, i, i + tag.text.length());
        }
        return best;
    }

    /** x0, y0, x1, y1, ... when {@code content} matches {@code shape} exactly, else null. */
    private static double[] points(String content, Pattern shape) {
        Matcher m = shape.matcher(content);
        if (!m.matches()) return null;
        double[] v = new double[m.groupCount()];
        for (int i = 0; i < v.length; i++) v[i] = Double.parseDouble(m.group(i + 1));
        return v;
    }

    /** The box around the points (x, y pairs), clamped to the grid. */
    private static Box enclosing(String label, double[] xy) {
        double x1 = Double.POSITIVE_INFINITY, y1 = Double.POSITIVE_INFINITY;
        double x2 = Double.NEGATIVE_INFINITY, y2 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < xy.length; i += 2) {
            x1 = Math.min(x1, xy[i]);
            x2 = Math.max(x2, xy[i]);
            y1 = Math.min(y1, xy[i + 1]);
            y2 = Math.max(y2, xy[i + 1]);
        }
        return new Box(label, clamp(x1), clamp(y1), clamp(x2), clamp(y2));
    }

    private static boolean isSeparator(String gap) {
        return SEPARATORS.matcher(gap).matches();
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(GRID, v));
    }

    private static double scale(double normalized, int size) {
        return Math.min(size, normalized * size / GRID);
    }
}
