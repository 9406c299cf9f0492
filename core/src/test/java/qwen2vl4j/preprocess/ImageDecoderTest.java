package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder();

    private static byte[] fixtureBytes(String name) throws IOException {
        return Files.readAllBytes(Fixtures.image(name));
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "no ImageIO writer for " + format);
        return out.toByteArray();
    }

    private static BufferedImage toBufferedImage(RgbImage img) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                bi.setRGB(x, y, img.sample(x, y, 0) << 16 | img.sample(x, y, 1) << 8 | img.sample(x, y, 2));
            }
        }
        return bi;
    }

    // ------------------------------------------------------------ formats

    @Test
    void losslessFormatsDecodeToTheSamePixelsAsThePng() throws IOException {
        RgbImage png = decoder.decode(Fixtures.image("odd_171x129.png"));
        BufferedImage bi = toBufferedImage(png);
        for (String format : new String[] {"bmp", "tiff"}) {
            RgbImage back = decoder.decode(encode(bi, format), "test." + format);
            assertEquals(png, back, format);
        }
    }

    @Test
    void progressiveJpegDecodesCloseToTheBaselineJpeg() throws IOException {
        RgbImage png = decoder.decode(Fixtures.image("gradient_640x480.png"));
        BufferedImage bi = toBufferedImage(png);
        byte[] baseline = encode(bi, "jpeg");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(bi, null, null), param);
        } finally {
            writer.dispose();
        }
        RgbImage a = decoder.decode(baseline, "baseline.jpg");
        RgbImage b = decoder.decode(out.toByteArray(), "progressive.jpg");
        assertEquals(640, b.width());
        assertEquals(480, b.height());
        double meanDiff = 0;
        for (int i = 0; i < a.rgb().length; i++) meanDiff += Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
        meanDiff /= a.rgb().length;
        assertTrue(meanDiff < 2, "progressive and baseline decodes differ by " + meanDiff + " on average");
    }

    @Test
    void sixteenBitPngsKeepTheHighByteAndGreyIsClippedLikePillow() throws IOException {
        BufferedImage rgb16 = new ImageTypeSpecifier(
                new java.awt.image.ComponentColorModel(java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB),
                        false, false, java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT),
                new java.awt.image.PixelInterleavedSampleModel(java.awt.image.DataBuffer.TYPE_USHORT, 2, 1, 3, 6, new int[] {0, 1, 2}))
                .createBufferedImage(2, 1);
        WritableRaster r = rgb16.getRaster();
        r.setPixel(0, 0, new int[] {0x1234, 0xABCD, 0x00FF});
        r.setPixel(1, 0, new int[] {0xFFFF, 0x0100, 0x8000});
        RgbImage decoded = decoder.decode(encode(rgb16, "png"), "rgb16.png");
        assertArrayEquals(new byte[] {0x12, (byte) 0xAB, 0x00, (byte) 0xFF, 0x01, (byte) 0x80}, decoded.rgb());

        BufferedImage grey16 = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setPixels(0, 0, 3, 1, new int[] {200, 255, 4000});
        RgbImage g = decoder.decode(encode(grey16, "png"), "grey16.png");
        assertArrayEquals(new byte[] {(byte) 200, (byte) 200, (byte) 200, (byte) 255, (byte) 255, (byte) 255,
                (byte) 255, (byte) 255, (byte) 255}, g.rgb());
    }

    @Test
    void rgbaDropsAlphaAndGreyIsReplicated() {
        RgbImage rgba = decoder.decode(Fixtures.image("rgba_300x200.png"));
        assertEquals(300, rgba.width());
        RgbImage grey = decoder.decode(Fixtures.image("gray_256x256.png"));
        for (int i = 0; i < grey.width() * grey.height(); i++) {
            assertEquals(grey.rgb()[i * 3], grey.rgb()[i * 3 + 1]);
            assertEquals(grey.rgb()[i * 3], grey.rgb()[i * 3 + 2]);
        }
    }

    @Test
    void animatedGifGivesAllFramesAndTheirRate() throws IOException {
        int[] colours = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF};
        byte[] gif = animatedGif(colours, 50);
        ImageDecoder.Animation a = decoder.decodeAnimation(gif, "anim.gif");
        assertEquals(4, a.frames().size());
        assertEquals(2.0, a.fps(), 1e-9);
        for (int i = 0; i < colours.length; i++) {
            RgbImage f = a.frames().get(i);
            assertEquals(colours[i] >> 16 & 0xFF, f.sample(3, 2, 0), "frame " + i + " red");
            assertEquals(colours[i] >> 8 & 0xFF, f.sample(3, 2, 1), "frame " + i + " green");
            assertEquals(colours[i] & 0xFF, f.sample(3, 2, 2), "frame " + i + " blue");
        }
        assertEquals(a.frames().get(0), decoder.decode(gif, "anim.gif"), "a still decode is the first frame");
    }

    public static byte[] animatedGif(int[] colours, int delayCentiseconds) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.prepareWriteSequence(null);
            for (int colour : colours) {
                BufferedImage frame = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 6; y++) for (int x = 0; x < 8; x++) frame.setRGB(x, y, colour);
                ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(frame);
                IIOMetadata meta = writer.getDefaultImageMetadata(type, null);
                String format = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
                IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "FALSE");
                gce.setAttribute("delayTime", Integer.toString(delayCentiseconds));
                gce.setAttribute("transparentColorIndex", "0");
                root.appendChild(gce);
                meta.setFromTree(format, root);
                writer.writeToSequence(new IIOImage(frame, null, meta), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------ bad input

    @Test
    void truncatedPngIsRefused() throws IOException {
        byte[] png = fixtureBytes("noise_333x517.png");
        byte[] cut = Arrays.copyOf(png, png.length / 2);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(cut, "cut.png"));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());
    }

    @Test
    void truncatedJpegIsRefused() throws IOException {
        byte[] jpg = fixtureBytes("photo_800x600.jpg");
        byte[] cut = Arrays.copyOf(jpg, jpg.length / 2);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(cut, "cut.jpg"));
        assertTrue(e.getMessage().contains("cut.jpg"), e.getMessage());
    }

    @Test
    void corruptBytesAreRefused() throws IOException {
        byte[] png = fixtureBytes("small_112x84.png");
        byte[] corrupt = png.clone();
        for (int i = 60; i < corrupt.length - 20; i++) corrupt[i] = (byte) (i * 31);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(corrupt, "corrupt.png"));
        assertTrue(e.getMessage().contains("corrupt.png"), e.getMessage());
    }

    @Test
    void emptyInputIsRefused(@TempDir Path dir) throws IOException {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(new byte[0], "empty.png"));
        assertTrue(e.getMessage().contains("empty.png") && e.getMessage().contains("empty"), e.getMessage());
        Path file = Files.createFile(dir.resolve("zero.png"));
        e = assertThrows(ImageDecodeException.class, () -> decoder.decode(file));
        assertTrue(e.getMessage().contains("zero.png"), e.getMessage());
    }

    @Test
    void zeroSizeHeaderIsRefused() {
        byte[] png = pngWithHeader(0, 10);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(png, "zero-size.png"));
        assertTrue(e.getMessage().contains("zero-size.png"), e.getMessage());
    }

    @Test
    void missingFileIsRefused(@TempDir Path dir) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(dir.resolve("nope.png")));
        assertTrue(e.getMessage().contains("nope.png") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void unsupportedFormatIsRefused() {
        byte[] text = "%PDF-1.4 this is not an image".getBytes(StandardCharsets.US_ASCII);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(text, "doc.pdf"));
        assertTrue(e.getMessage().contains("doc.pdf") && e.getMessage().contains("unsupported"), e.getMessage());
    }

    @Test
    void decompressionBombIsRefusedFromTheHeader() {
        byte[] bomb = pngWithHeader(100_000, 100_000);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decoder.decode(bomb, "bomb.png"));
        assertTrue(e.getMessage().contains("bomb.png") && e.getMessage().contains("100000x100000"), e.getMessage());
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void pixelLimitIsConfigurable() {
        ImageDecoder small = new ImageDecoder(1000);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> small.decode(Fixtures.image("small_112x84.png")));
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }

    /** A PNG with a valid IHDR of the given size and a tiny (wrong-sized) image data stream. */
    static byte[] pngWithHeader(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[64]);
        deflater.finish();
        byte[] buf = new byte[128];
        int n = deflater.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
