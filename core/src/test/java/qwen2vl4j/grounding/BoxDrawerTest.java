package qwen2vl4j.grounding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.RgbImage;

class BoxDrawerTest {
    private static final int GREY = 0x808080;

    @TempDir
    Path dir;

    static BufferedImage grey(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(GREY));
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void rectanglesAreDrawnInTheirColoursOnAPngOfTheOriginalSize() throws Exception {
        BufferedImage original = grey(640, 480);
        List<Box> boxes = Grounding.parse("<|object_ref_start|>cat<|object_ref_end|><|box_start|>(250,250),(500,750)<|box_end|>"
                + "<|box_start|>(600,100),(900,400)<|box_end|>", 640, 480);
        Path out = dir.resolve("boxes.png");
        BoxDrawer.draw(original, boxes, out);
        BufferedImage png = ImageIO.read(out.toFile());
        assertEquals(640, png.getWidth());
        assertEquals(480, png.getHeight());

        int first = BoxDrawer.colour(0).getRGB() & 0xFFFFFF, second = BoxDrawer.colour(1).getRGB() & 0xFFFFFF;
        assertNotEquals(first, second);
        // box 0 spans x 160..320, y 120..360; edges on every side, inside and outside untouched
        assertEquals(first, rgb(png, 160, 240), "left edge");
        assertEquals(first, rgb(png, 319, 240), "right edge");
        assertEquals(first, rgb(png, 240, 359), "bottom edge");
        assertEquals(first, rgb(png, 300, 120), "top edge, right of the label");
        assertEquals(GREY, rgb(png, 240, 240), "inside");
        assertEquals(GREY, rgb(png, 321, 240), "outside");
        // box 1 spans x 384..576, y 48..192, no label
        assertEquals(second, rgb(png, 384, 100));
        assertEquals(second, rgb(png, 575, 100));
        assertEquals(second, rgb(png, 480, 48));
        assertEquals(second, rgb(png, 480, 191));
        assertEquals(GREY, rgb(png, 480, 100));
        assertEquals(GREY, rgb(png, 480, 40), "no label above an unlabelled box");
        // the label tag of box 0 sits above its top-left corner
        assertEquals(first, rgb(png, 161, 119), "label tag");
        assertEquals(GREY, rgb(original, 160, 240), "the original is not modified");
    }

    @Test
    void edgesAreAsWideAsTheLineWidth() throws Exception {
        Path out = dir.resolve("w.png");
        BoxDrawer.draw(grey(1000, 800), List.of(new Box(null, 100, 100, 500, 500)), out);
        BufferedImage png = ImageIO.read(out.toFile());
        int line = BoxDrawer.lineWidth(1000, 800);
        assertEquals(4, line);
        int c = BoxDrawer.colour(0).getRGB() & 0xFFFFFF;
        for (int x = 100; x < 100 + line; x++) assertEquals(c, rgb(png, x, 300), "x " + x);
        assertEquals(GREY, rgb(png, 100 + line, 300));
        assertEquals(GREY, rgb(png, 99, 300));
    }

    @Test
    void boxesOnTheBorderAndNoBoxesAtAll() throws Exception {
        Path out = dir.resolve("border.png");
        BoxDrawer.draw(grey(50, 40), List.of(new Box("whole", 0, 0, 50, 40)), out);
        BufferedImage png = ImageIO.read(out.toFile());
        int c = BoxDrawer.colour(0).getRGB() & 0xFFFFFF;
        assertEquals(c, rgb(png, 49, 20));
        assertEquals(c, rgb(png, 25, 39));
        assertEquals(GREY, rgb(png, 25, 20));

        Path none = dir.resolve("none.png");
        BoxDrawer.draw(grey(30, 20), List.of(), none);
        BufferedImage plain = ImageIO.read(none.toFile());
        for (int y = 0; y < 20; y++) for (int x = 0; x < 30; x++) assertEquals(GREY, rgb(plain, x, y));
    }

    @Test
    void tenBoxesGetTenDistinctColours() {
        Set<Color> colours = new HashSet<>();
        for (int i = 0; i < 10; i++) colours.add(BoxDrawer.colour(i));
        assertEquals(10, colours.size());
        assertEquals(BoxDrawer.colour(0), BoxDrawer.colour(10));
    }

    @Test
    void rgbImagesConvertPixelForPixel() {
        byte[] rgb = {(byte) 255, 0, 0, 0, (byte) 200, 10, 1, 2, 3, (byte) 128, (byte) 128, (byte) 128};
        BufferedImage img = BoxDrawer.toBufferedImage(new RgbImage(2, 2, rgb));
        assertEquals(0xFF0000, rgb(img, 0, 0));
        assertEquals(0x00C80A, rgb(img, 1, 0));
        assertEquals(0x010203, rgb(img, 0, 1));
        assertEquals(new RgbImage(2, 2, rgb), ImageDecoder.fromBufferedImage(img, "converted"));
    }

    @Test
    void anUnwritableOutputIsNamed() {
        Path out = dir.resolve("no/such/folder/out.png");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> BoxDrawer.draw(grey(4, 4), List.of(), out));
        assertTrue(e.getMessage().startsWith("cannot write " + out), e.getMessage());
    }
}
