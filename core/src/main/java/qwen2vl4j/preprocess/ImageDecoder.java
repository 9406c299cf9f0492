package qwen2vl4j.preprocess;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * Decodes PNG, JPEG, GIF, BMP, WebP and TIFF into {@link RgbImage}s, converting to RGB as Pillow's
 * {@code convert("RGB")} does: alpha is dropped (not composited), grey is replicated, palettes are looked
 * up, 16-bit colour samples keep their high byte and 16-bit grey is clipped to 255 (Pillow's {@code I;16}).
 * Colour profiles and gamma are ignored, as Pillow ignores them. The pixel count is checked from the header
 * before any pixel is decoded; every failure is an {@link ImageDecodeException} naming the source.
 */
public final class ImageDecoder {
    /** Pillow's hard limit ({@code 2 * MAX_IMAGE_PIXELS}): larger images are refused as decompression bombs. */
    public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

    static {
        ImageIO.setUseCache(false);
    }

    private final long maxPixels;

    /** A decoder with the default pixel limit. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** A decoder refusing images (and animations, all frames together) of more than {@code maxPixels} pixels. */
    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) throw new IllegalArgumentException("pixel limit must be positive, found " + maxPixels);
        this.maxPixels = maxPixels;
    }

    /** The pixel limit of this decoder. */
    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes the image file (the first frame of an animation). */
    public RgbImage decode(Path file) {
        return decode(readFile(file), file.toString());
    }

    /** Decodes an encoded image held in memory; {@code name} names it in errors. */
    public RgbImage decode(byte[] bytes, String name) {
        return read(bytes, name, false).frames().get(0);
    }

    /** Decodes every frame of an animated GIF (one frame for other formats), with its frame rate. */
    public Animation decodeAnimation(Path file) {
        return decodeAnimation(readFile(file), file.toString());
    }

    /** Decodes every frame of an animated GIF held in memory (one frame for other formats). */
    public Animation decodeAnimation(byte[] bytes, String name) {
        return read(bytes, name, true);
    }

    /**
     * The {@code {width, height}} an image file's header declares (the canvas for a GIF), checked against the pixel
     * limit, without decoding any pixel: what a caller needs to bound the work before it is done.
     *
     * @throws ImageDecodeException for an unreadable header, an unsupported format or a size over the limit
     */
    public int[] size(Path file) {
        return size(readFile(file), file.toString());
    }

    /** As {@link #size(Path)} for an encoded image held in memory; {@code name} names it in errors. */
    public int[] size(byte[] bytes, String name) {
        if (bytes == null || bytes.length == 0) throw new ImageDecodeException("image " + name + " is empty (0 bytes)");
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("image " + name + " has an unsupported format (first bytes "
                        + firstBytes(bytes) + "); expected PNG, JPEG, GIF, BMP, WebP or TIFF");
            }
            ImageReader reader = readers.next();
            try {
                boolean gif = reader.getFormatName().toLowerCase(Locale.ROOT).equals("gif");
                reader.setInput(in, false, !gif);
                int[] size = gif ? gifCanvas(reader) : new int[] {reader.getWidth(0), reader.getHeight(0)};
                checkSize(name, size[0], size[1], 1);
                return size;
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("image " + name + " is corrupt or truncated: " + describe(e), e);
        }
    }

    /**
     * Whether some image reader takes {@code file} by its first bytes (a file that cannot be read counts as one, so
     * that decoding it reports why).
     */
    static boolean isImageFile(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return in == null || ImageIO.getImageReaders(in).hasNext();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** As {@link #isImageFile(Path)} for bytes held in memory: whether some image reader takes their first bytes. */
    static boolean isImage(byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            return in == null || ImageIO.getImageReaders(in).hasNext();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /**
     * Frames of an animation composed onto the full canvas, with the frame rate from the frame delays
     * ({@code fps} is {@link Double#NaN} where the format has no timing).
     */
    public record Animation(List<RgbImage> frames, double fps) {}

    static byte[] readFile(Path file) {
        try {
            if (file.toString().isEmpty()) throw new ImageDecodeException("image path is empty: give an image file");
            if (Files.isDirectory(file)) throw new ImageDecodeException("image " + file + " is a folder, not a file");
            long size = Files.size(file);
            if (size == 0) throw new ImageDecodeException("image " + file + " is empty (0 bytes)");
            if (size > Integer.MAX_VALUE - 16) {
                throw new ImageDecodeException("image " + file + " is too large (" + size + " bytes)");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException("image " + file + " does not exist");
        } catch (IOException e) {
            throw new ImageDecodeException("image " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private Animation read(byte[] bytes, String name, boolean allFrames) {
        if (bytes == null || bytes.length == 0) throw new ImageDecodeException("image " + name + " is empty (0 bytes)");
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("image " + name + " has an unsupported format (first bytes "
                        + firstBytes(bytes) + "); expected PNG, JPEG, GIF, BMP, WebP or TIFF");
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                boolean gif = format.equals("gif");
                reader.setInput(in, false, !gif);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                int width = reader.getWidth(0), height = reader.getHeight(0);
                checkSize(name, width, height, 1);
                if (gif) return readGif(reader, name, allFrames, warnings);
                BufferedImage image = reader.read(0);
                checkWarnings(name, warnings);
                return new Animation(List.of(toRgb(image, name)), Double.NaN);
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IIOException e) {
            throw new ImageDecodeException("image " + name + " is corrupt or truncated: " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("image " + name + " is corrupt or truncated: " + describe(e), e);
        } catch (OutOfMemoryError e) {
            // the failed allocation is the image buffer itself, so the heap is usable again here
            throw new ImageDecodeException("image " + name + " does not fit in memory (" + describe(e)
                    + "); give Java more heap (-Xmx) or lower the pixel limit", e);
        }
    }

    private void checkSize(String name, int width, int height, long frames) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException("image " + name + " has size " + width + "x" + height + "; width and height must be positive");
        }
        long pixels = (long) width * height * frames;
        if (pixels > maxPixels) {
            throw new ImageDecodeException("image " + name + " has " + width + "x" + height
                    + (frames > 1 ? " x " + frames + " frames" : "") + " = " + pixels
                    + " pixels, more than the limit of " + maxPixels + " (possible decompression bomb)");
        }
    }

    private static void checkWarnings(String name, List<String> warnings) {
        for (String w : warnings) {
            String lw = w.toLowerCase(Locale.ROOT);
            if (lw.contains("premature") || lw.contains("truncat") || lw.contains("end of")) {
                throw new ImageDecodeException("image " + name + " is truncated: " + w);
            }
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 300; t = t.getCause()) {
            if (!sb.isEmpty()) sb.append(": ");
            sb.append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }

    static String firstBytes(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) sb.append(String.format("%02x", bytes[i] & 0xFF));
        return sb.toString();
    }

    // ---------------------------------------------------------------- GIF

    /** A GIF's canvas: its first frame grown to the logical screen. */
    private static int[] gifCanvas(ImageReader reader) throws IOException {
        int canvasW = reader.getWidth(0), canvasH = reader.getHeight(0);
        IIOMetadata stream = reader.getStreamMetadata();
        if (stream != null) {
            Node screen = child(stream.getAsTree("javax_imageio_gif_stream_1.0"), "LogicalScreenDescriptor");
            if (screen != null) {
                canvasW = Math.max(canvasW, intAttr(screen, "logicalScreenWidth", canvasW));
                canvasH = Math.max(canvasH, intAttr(screen, "logicalScreenHeight", canvasH));
            }
        }
        return new int[] {canvasW, canvasH};
    }

    private Animation readGif(ImageReader reader, String name, boolean allFrames, List<String> warnings) throws IOException {
        int[] canvas0 = gifCanvas(reader);
        int canvasW = canvas0[0], canvasH = canvas0[1];
        checkSize(name, canvasW, canvasH, 1);
        int count = allFrames ? reader.getNumImages(true) : 1;
        if (count <= 0) throw new ImageDecodeException("image " + name + " has no frames");
        checkSize(name, canvasW, canvasH, count);
        int[] canvas = new int[canvasW * canvasH];
        List<RgbImage> frames = new ArrayList<>(count);
        long totalDelay = 0;
        for (int i = 0; i < count; i++) {
            BufferedImage frame = reader.read(i);
            checkWarnings(name, warnings);
            Node tree = reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
            Node desc = child(tree, "ImageDescriptor");
            Node gce = child(tree, "GraphicControlExtension");
            int left = desc == null ? 0 : intAttr(desc, "imageLeftPosition", 0);
            int top = desc == null ? 0 : intAttr(desc, "imageTopPosition", 0);
            boolean hasTransparency = gce != null && "TRUE".equalsIgnoreCase(attr(gce, "transparentColorFlag"));
            int transparent = hasTransparency ? intAttr(gce, "transparentColorIndex", -1) : -1;
            String disposal = gce == null ? "none" : attr(gce, "disposalMethod");
            totalDelay += gce == null ? 0 : intAttr(gce, "delayTime", 0);
            Raster raster = frame.getRaster();
            ColorModel cm = frame.getColorModel();
            if (i == 0) {
                int fillIndex = Math.max(transparent, 0);
                int fill = cm instanceof IndexColorModel icm && fillIndex < icm.getMapSize() ? icm.getRGB(fillIndex) & 0xFFFFFF : 0;
                java.util.Arrays.fill(canvas, fill);
            }
            int[] saved = "restoreToPrevious".equals(disposal) ? canvas.clone() : null;
            int fw = frame.getWidth(), fh = frame.getHeight();
            int[] row = new int[fw];
            for (int y = 0; y < fh; y++) {
                int cy = top + y;
                if (cy < 0 || cy >= canvasH) continue;
                if (cm instanceof IndexColorModel) raster.getSamples(0, y, fw, 1, 0, row);
                for (int x = 0; x < fw; x++) {
                    int cx = left + x;
                    if (cx < 0 || cx >= canvasW) continue;
                    int rgb;
                    if (cm instanceof IndexColorModel icm) {
                        int index = row[x];
                        if (i > 0 && index == transparent) continue;
                        rgb = index < icm.getMapSize() ? icm.getRGB(index) & 0xFFFFFF : 0;
                    } else {
                        rgb = frame.getRGB(x, y) & 0xFFFFFF;
                    }
                    canvas[cy * canvasW + cx] = rgb;
                }
            }
            frames.add(fromPackedRgb(canvas, canvasW, canvasH));
            if (saved != null) {
                canvas = saved;
            } else if ("restoreToBackgroundColor".equals(disposal)) {
                for (int y = Math.max(0, top); y < Math.min(canvasH, top + fh); y++) {
                    for (int x = Math.max(0, left); x < Math.min(canvasW, left + fw); x++) canvas[y * canvasW + x] = 0;
                }
            }
        }
        double fps = totalDelay > 0 ? count / (totalDelay / 100.0) : Double.NaN;
        return new Animation(List.copyOf(frames), fps);
    }

    private static Node child(Node parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (name.equals(n.getNodeName())) return n;
        }
        return null;
    }

    private static String attr(Node node, String name) {
        NamedNodeMap attrs = node.getAttributes();
        Node a = attrs == null ? null : attrs.getNamedItem(name);
        return a == null ? "" : a.getNodeValue();
    }

    private static int intAttr(Node node, String name, int fallback) {
        try {
            return Integer.parseInt(attr(node, name));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static RgbImage fromPackedRgb(int[] packed, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int i = 0, o = 0; i < packed.length; i++, o += 3) {
            int p = packed[i];
            out[o] = (byte) (p >> 16);
            out[o + 1] = (byte) (p >> 8);
            out[o + 2] = (byte) p;
        }
        return new RgbImage(w, h, out);
    }

    // ---------------------------------------------------------------- conversion to RGB

    /** An image the caller already holds, converted to RGB as {@link #decode} converts decoded files. */
    public static RgbImage fromBufferedImage(BufferedImage image, String name) {
        return toRgb(image, name);
    }

    /** Converts a decoded image to RGB the way Pillow's {@code convert("RGB")} treats the same file. */
    static RgbImage toRgb(BufferedImage image, String name) {
        int w = image.getWidth(), h = image.getHeight();
        if (w <= 0 || h <= 0) throw new ImageDecodeException("image " + name + " decoded to an empty image");
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) return fromPalette(raster, icm, w, h);
        if (cm instanceof ComponentColorModel && raster.getMinX() == 0 && raster.getMinY() == 0) {
            int csType = cm.getColorSpace().getType();
            int colors = cm.getNumColorComponents();
            int transfer = raster.getTransferType();
            boolean integral = transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT;
            if (integral && ((csType == ColorSpace.TYPE_RGB && colors == 3) || (csType == ColorSpace.TYPE_GRAY && colors == 1))) {
                RgbImage fast = fastInterleaved(raster, colors, w, h);
                return fast != null ? fast : fromComponents(raster, colors, cm.hasAlpha(), w, h);
            }
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                int p = row[x];
                out[o] = (byte) (p >> 16);
                out[o + 1] = (byte) (p >> 8);
                out[o + 2] = (byte) p;
            }
        }
        return new RgbImage(w, h, out);
    }

    private static RgbImage fromPalette(Raster raster, IndexColorModel icm, int w, int h) {
        int size = icm.getMapSize();
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        byte[] pr = new byte[size], pg = new byte[size], pb = new byte[size];
        icm.getReds(pr);
        icm.getGreens(pg);
        icm.getBlues(pb);
        System.arraycopy(pr, 0, r, 0, Math.min(size, 256));
        System.arraycopy(pg, 0, g, 0, Math.min(size, 256));
        System.arraycopy(pb, 0, b, 0, Math.min(size, 256));
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                int i = row[x] & 0xFF;
                out[o] = r[i];
                out[o + 1] = g[i];
                out[o + 2] = b[i];
            }
        }
        return new RgbImage(w, h, out);
    }

    /** 8-bit samples interleaved in a byte array (the usual JPEG/PNG layouts): read directly. */
    private static RgbImage fastInterleaved(Raster raster, int colors, int w, int h) {
        if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || !(raster.getDataBuffer() instanceof DataBufferByte db)
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0
                || db.getNumBanks() != 1) {
            return null;
        }
        for (int s : sm.getSampleSize()) if (s != 8) return null;
        byte[] data = db.getData();
        int base = db.getOffset();
        int stride = sm.getPixelStride(), scan = sm.getScanlineStride();
        int[] off = sm.getBandOffsets();
        int o0 = off[0], o1 = colors == 3 ? off[1] : off[0], o2 = colors == 3 ? off[2] : off[0];
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            int p = base + y * scan;
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3, p += stride) {
                out[o] = data[p + o0];
                out[o + 1] = data[p + o1];
                out[o + 2] = data[p + o2];
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Any integral component layout: 8 bits as is, 16 bits to the high byte (grey alone clipped), fewer bits scaled. */
    private static RgbImage fromComponents(Raster raster, int colors, boolean alpha, int w, int h) {
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        boolean clipGrey16 = bits == 16 && colors == 1 && !alpha;
        int maxValue = (1 << Math.min(bits, 16)) - 1;
        int[] lut = new int[maxValue + 1];
        for (int v = 0; v <= maxValue; v++) {
            if (bits == 8) lut[v] = v;
            else if (clipGrey16) lut[v] = Math.min(v, 255);
            else if (bits > 8) lut[v] = v >> (bits - 8);
            else lut[v] = v * 255 / maxValue;
        }
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                int p = x * bands;
                int r = lut[row[p] & maxValue];
                int g = colors == 3 ? lut[row[p + 1] & maxValue] : r;
                int b = colors == 3 ? lut[row[p + 2] & maxValue] : r;
                out[o] = (byte) r;
                out[o + 1] = (byte) g;
                out[o + 2] = (byte) b;
            }
        }
        return new RgbImage(w, h, out);
    }
}
