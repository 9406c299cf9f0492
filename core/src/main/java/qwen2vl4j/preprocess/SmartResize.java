package qwen2vl4j.preprocess;

/**
 * The Qwen2-VL output-size rule ({@code smart_resize}): both sides become multiples of {@code factor}, the
 * pixel count lands in {@code [minPixels, maxPixels]} and the aspect ratio is kept as well as possible.
 * Arithmetic in double with Python's round-half-to-even. Two variants differ only for sides under
 * {@code factor / 2}: transformers (the image processor) rounds such a side to 0 first, then grows the
 * image to {@code minPixels}; qwen-vl-utils rounds it up to {@code factor}.
 */
public final class SmartResize {
    /** Images more elongated than this are refused, as the reference does. */
    public static final double MAX_ASPECT_RATIO = 200;

    private SmartResize() {}

    /**
     * The target size for an image of {@code height x width}, as the transformers image processor computes it.
     *
     * @return {@code {height, width}}, both multiples of {@code factor}
     * @throws IllegalArgumentException for a non-positive size or factor, an aspect ratio above 200
     *         or {@code minPixels > maxPixels}
     */
    public static int[] smartResize(int height, int width, int factor, long minPixels, long maxPixels) {
        return compute(height, width, factor, minPixels, maxPixels, false);
    }

    /** The target size as qwen-vl-utils computes it (a side is at least {@code factor} after the first rounding). */
    public static int[] qwenVlUtils(int height, int width, int factor, long minPixels, long maxPixels) {
        return compute(height, width, factor, minPixels, maxPixels, true);
    }

    /**
     * As {@link #qwenVlUtils(int, int, int, long, long)} with fractional bounds (qwen-vl-utils computes the
     * per-frame video budget as a Python float).
     */
    public static int[] qwenVlUtils(int height, int width, int factor, double minPixels, double maxPixels) {
        return compute(height, width, factor, minPixels, maxPixels, true);
    }

    private static int[] compute(int height, int width, int factor, double minPixels, double maxPixels, boolean atLeastFactor) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, found height " + height + ", width " + width);
        }
        if (factor <= 0) throw new IllegalArgumentException("resize factor must be positive, found " + factor);
        if (minPixels > maxPixels) {
            throw new IllegalArgumentException("min_pixels " + number(minPixels) + " is larger than max_pixels " + number(maxPixels));
        }
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > MAX_ASPECT_RATIO) {
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, found "
                    + height + "x" + width + " (height x width), ratio " + ratio);
        }
        double h = height, w = width;
        long hBar = (long) Math.rint(h / factor) * factor;
        long wBar = (long) Math.rint(w / factor) * factor;
        if (atLeastFactor) {
            hBar = Math.max(factor, hBar);
            wBar = Math.max(factor, wBar);
        }
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt(h * w / maxPixels);
            hBar = Math.max(factor, (long) Math.floor(h / beta / factor) * factor);
            wBar = Math.max(factor, (long) Math.floor(w / beta / factor) * factor);
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt(minPixels / (h * w));
            hBar = (long) Math.ceil(h * beta / factor) * factor;
            wBar = (long) Math.ceil(w * beta / factor) * factor;
        }
        if (hBar > Integer.MAX_VALUE || wBar > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("resized size " + hBar + "x" + wBar + " is too large");
        }
        return new int[] {(int) hBar, (int) wBar};
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e18 ? Long.toString((long) v) : Double.toString(v);
    }
}
