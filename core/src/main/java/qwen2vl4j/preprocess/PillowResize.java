package qwen2vl4j.preprocess;

import qwen2vl4j.kernels.ResampleKernels;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} for 8-bit RGB images, bit for bit ({@code ImagingResample}):
 * separable bicubic convolution (a = -0.5) whose support is stretched by the scale when shrinking
 * (antialiasing), weights normalised in double then rounded to 22-bit fixed point, the horizontal pass
 * first (into an 8-bit intermediate image holding only the rows the vertical pass reads), then the
 * vertical pass. A pass whose dimension does not change is skipped; an unchanged size returns a copy.
 */
public final class PillowResize {
    static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double BICUBIC_SUPPORT = 2.0;
    private static final double A = -0.5;
    /** The largest byte array the JVM allocates. */
    private static final long MAX_BUFFER = Integer.MAX_VALUE - 16;

    private PillowResize() {}

    /** Resizes {@code image} to {@code newWidth x newHeight} with Pillow's bicubic filter. */
    public static RgbImage resizeBicubic(RgbImage image, int newWidth, int newHeight) {
        if (newWidth <= 0 || newHeight <= 0) {
            throw new IllegalArgumentException("target size must be positive, found " + newWidth + "x" + newHeight);
        }
        long biggest = 3L * Math.max(newWidth, image.width()) * Math.max(newHeight, image.height());
        if (biggest > MAX_BUFFER) {
            throw new IllegalArgumentException("resizing " + image.width() + "x" + image.height() + " to " + newWidth + "x" + newHeight
                    + " needs a buffer of " + biggest + " bytes, more than the most an array holds (" + MAX_BUFFER + ")");
        }
        int inW = image.width(), inH = image.height();
        if (newWidth == inW && newHeight == inH) {
            return new RgbImage(inW, inH, image.rgb().clone());
        }
        boolean horizontal = newWidth != inW;
        boolean vertical = newHeight != inH;
        Coefficients vert = Coefficients.compute(inH, newHeight);
        byte[] src = image.rgb();
        int rowOffset = 0;
        int rows = inH;
        if (horizontal) {
            int first = vert.bounds[0];
            int last = vert.bounds[2 * newHeight - 2] + vert.bounds[2 * newHeight - 1];
            if (!vertical) {
                first = 0;
                last = inH;
            }
            Coefficients horiz = Coefficients.compute(inW, newWidth);
            src = horizontalPass(src, inW, first, last - first, newWidth, horiz);
            rowOffset = first;
            rows = last - first;
        }
        int width = horizontal ? newWidth : inW;
        if (!vertical) {
            return new RgbImage(width, rows, src);
        }
        return new RgbImage(width, newHeight, verticalPass(src, width, rowOffset, newHeight, vert));
    }

    /** The bicubic kernel of Pillow ({@code a = -0.5}). */
    static double bicubic(double x) {
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * A;
        return 0.0;
    }

    static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * Resamples {@code rowCount} rows starting at {@code firstRow} of an {@code inW}-wide image to {@code outW}:
     * blocks of rows with the Vector API where it is accelerated, the rest with {@link #horizontalRowsScalar}.
     */
    static byte[] horizontalPass(byte[] in, int inW, int firstRow, int rowCount, int outW, Coefficients c) {
        byte[] out = new byte[rowCount * outW * 3];
        int done = ResampleKernels.isUsable()
                ? ResampleKernels.resample(in, inW, firstRow, rowCount, outW, c.ksize, c.bounds, c.weights, PRECISION_BITS, out)
                : 0;
        horizontalRowsScalar(in, inW, firstRow, done, rowCount, outW, c, out);
        return out;
    }

    /** The scalar horizontal pass over output rows {@code [from, to)}: one output pixel at a time. */
    static void horizontalRowsScalar(byte[] in, int inW, int firstRow, int from, int to, int outW, Coefficients c, byte[] out) {
        int[] k = c.weights;
        int ksize = c.ksize;
        int half = 1 << (PRECISION_BITS - 1);
        int[] red = new int[inW], green = new int[inW], blue = new int[inW];
        for (int y = from; y < to; y++) {
            for (int x = 0, p = (firstRow + y) * inW * 3; x < inW; x++, p += 3) {
                red[x] = in[p] & 0xFF;
                green[x] = in[p + 1] & 0xFF;
                blue[x] = in[p + 2] & 0xFF;
            }
            int outRow = y * outW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[2 * xx];
                int count = c.bounds[2 * xx + 1];
                int kOff = xx * ksize;
                int r = half, g = half, b = half;
                for (int i = 0; i < count; i++) {
                    int w = k[kOff + i];
                    r += red[xmin + i] * w;
                    g += green[xmin + i] * w;
                    b += blue[xmin + i] * w;
                }
                int o = outRow + xx * 3;
                out[o] = (byte) clip8(r);
                out[o + 1] = (byte) clip8(g);
                out[o + 2] = (byte) clip8(b);
            }
        }
    }

    /**
     * Resamples columns to {@code outH} rows; {@code in} holds the source rows from {@code rowOffset} on
     * (the coefficient bounds are in source-row coordinates).
     */
    private static byte[] verticalPass(byte[] in, int width, int rowOffset, int outH, Coefficients c) {
        int rowLen = width * 3;
        byte[] out = new byte[outH * rowLen];
        int[] acc = new int[rowLen];
        int[] k = c.weights;
        int half = 1 << (PRECISION_BITS - 1);
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[2 * yy] - rowOffset;
            int count = c.bounds[2 * yy + 1];
            int kOff = yy * c.ksize;
            java.util.Arrays.fill(acc, half);
            for (int i = 0; i < count; i++) {
                int w = k[kOff + i];
                int p = (ymin + i) * rowLen;
                for (int x = 0; x < rowLen; x++) {
                    acc[x] += (in[p + x] & 0xFF) * w;
                }
            }
            int o = yy * rowLen;
            for (int x = 0; x < rowLen; x++) {
                out[o + x] = (byte) clip8(acc[x]);
            }
        }
        return out;
    }

    /** Per output index: the first input index, the number of taps, and the fixed-point weights. */
    static final class Coefficients {
        final int ksize;
        final int[] bounds;
        final int[] weights;

        private Coefficients(int ksize, int[] bounds, int[] weights) {
            this.ksize = ksize;
            this.bounds = bounds;
            this.weights = weights;
        }

        /** Pillow's {@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}. */
        static Coefficients compute(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] weights = new int[outSize * ksize];
            double[] w = new double[ksize];
            double ss = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
                double sum = 0.0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = bicubic((x + xmin - center + 0.5) * ss);
                    sum += w[x];
                }
                for (int x = 0; x < xmax; x++) {
                    double v = sum != 0.0 ? w[x] / sum : w[x];
                    weights[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients(ksize, bounds, weights);
        }
    }
}
