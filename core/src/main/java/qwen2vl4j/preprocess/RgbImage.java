package qwen2vl4j.preprocess;

import java.util.Arrays;

/**
 * An 8-bit RGB image, pixels interleaved R,G,B, rows top to bottom (HWC, row-major):
 * the sample of channel {@code c} at {@code (x, y)} is {@code rgb[(y * width + x) * 3 + c] & 0xFF}.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, found " + width + "x" + height);
        }
        if (rgb == null || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RGB buffer of a " + width + "x" + height + " image must hold "
                    + (long) width * height * 3 + " bytes, found " + (rgb == null ? "null" : rgb.length));
        }
    }

    /** The sample of channel {@code c} (0 = R, 1 = G, 2 = B) at column {@code x}, row {@code y}, 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && width == other.width && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
