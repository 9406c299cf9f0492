package qwen2vl4j.grounding;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import qwen2vl4j.preprocess.RgbImage;

/**
 * Draws {@link Box}es (in pixels of the image) as rectangles, each in its own colour from {@link #PALETTE}, with its
 * label in a filled tag above the box's top-left corner (inside the box when there is no room above), and writes the
 * result as a PNG. The original image is not modified. Labels need a font; where the JVM has none, the rectangles are
 * drawn without labels.
 */
public final class BoxDrawer {
    /** Box colours, used in turn (box {@code i} gets {@code PALETTE[i % PALETTE.length]}). */
    public static final List<Color> PALETTE = List.of(
            new Color(0xE6194B), new Color(0x3CB44B), new Color(0x4363D8), new Color(0xF58231),
            new Color(0x911EB4), new Color(0x42D4F4), new Color(0xF032E6), new Color(0xBFEF45),
            new Color(0xFFE119), new Color(0x469990));

    private BoxDrawer() {}

    /** The colour of box number {@code index}. */
    public static Color colour(int index) {
        return PALETTE.get(Math.floorMod(index, PALETTE.size()));
    }

    /** The line width used on an image of this size: 1/200 of its shorter side, at least 2 pixels. */
    public static int lineWidth(int width, int height) {
        return Math.max(2, Math.round(Math.min(width, height) / 200f));
    }

    /** Draws the boxes on a copy of {@code original} and writes it to {@code outPng}. */
    public static void draw(BufferedImage original, List<Box> boxes, Path outPng) {
        write(render(original, boxes), outPng);
    }

    /** Draws the boxes on a copy of {@code original} and writes it to {@code outPng}. */
    public static void draw(RgbImage original, List<Box> boxes, Path outPng) {
        write(render(toBufferedImage(original), boxes), outPng);
    }

    /** A copy of {@code original} (as RGB) with the boxes drawn on it. */
    public static BufferedImage render(BufferedImage original, List<Box> boxes) {
        int w = original.getWidth(), h = original.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(original, 0, 0, null);
            int line = lineWidth(w, h);
            for (int i = 0; i < boxes.size(); i++) rectangle(g, boxes.get(i), colour(i), line, w, h);
            labels(g, boxes, line, w, h);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** An RGB {@link BufferedImage} with the pixels of {@code image}. */
    public static BufferedImage toBufferedImage(RgbImage image) {
        int w = image.width(), h = image.height();
        int[] packed = new int[w * h];
        byte[] rgb = image.rgb();
        for (int p = 0; p < packed.length; p++) {
            packed[p] = (rgb[3 * p] & 0xFF) << 16 | (rgb[3 * p + 1] & 0xFF) << 8 | (rgb[3 * p + 2] & 0xFF);
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, w, h, packed, 0, w);
        return out;
    }

    /** The rectangle's outline, {@code line} pixels wide, inside the box's pixel span. */
    private static void rectangle(Graphics2D g, Box b, Color c, int line, int w, int h) {
        int left = pixel(b.x1(), w), top = pixel(b.y1(), h);
        int right = Math.max(left, pixel(Math.ceil(b.x2()) - 1, w)), bottom = Math.max(top, pixel(Math.ceil(b.y2()) - 1, h));
        int bw = right - left + 1, bh = bottom - top + 1;
        int t = Math.min(line, Math.min(bw, bh));
        g.setColor(c);
        g.fillRect(left, top, bw, t);
        g.fillRect(left, bottom - t + 1, bw, t);
        g.fillRect(left, top, t, bh);
        g.fillRect(right - t + 1, top, t, bh);
    }

    /** Labels in filled tags, drawn after every rectangle so that no outline crosses a label. */
    private static void labels(Graphics2D g, List<Box> boxes, int line, int w, int h) {
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(10, line * 6)));
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < boxes.size(); i++) {
                Box b = boxes.get(i);
                if (b.label() == null || b.label().isBlank()) continue;
                int tagW = fm.stringWidth(b.label()) + 2 * line, tagH = fm.getHeight();
                int x = Math.max(0, Math.min(pixel(b.x1(), w), w - tagW));
                int y = pixel(b.y1(), h) - tagH >= 0 ? pixel(b.y1(), h) - tagH : pixel(b.y1(), h);
                g.setColor(colour(i));
                g.fillRect(x, y, tagW, tagH);
                g.setColor(textColour(colour(i)));
                g.drawString(b.label(), x + line, y + fm.getAscent());
            }
        } catch (RuntimeException | LinkageError noFonts) {
            // a headless JVM without fonts: keep the rectangles
        }
    }

    /** Black on light colours, white on dark ones. */
    private static Color textColour(Color c) {
        double luma = 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
        return luma > 150 ? Color.BLACK : Color.WHITE;
    }

    private static int pixel(double v, int size) {
        return (int) Math.max(0, Math.min(size - 1, Math.floor(v)));
    }

    private static void write(BufferedImage image, Path outPng) {
        Path parent = outPng.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UncheckedIOException("cannot write " + outPng + ": folder " + parent + " does not exist",
                    new IOException(parent.toString()));
        }
        // through a stream: ImageIO.write(.., File) prints a stack trace itself when it cannot open the file
        try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(outPng))) {
            if (!ImageIO.write(image, "png", stream)) throw new IOException("no PNG writer available");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + outPng + ": " + e.getMessage(), e);
        }
    }
}
