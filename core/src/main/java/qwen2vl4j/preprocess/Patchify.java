package qwen2vl4j.preprocess;

import java.util.List;

/**
 * Rescale, normalise and patchify frames into {@code pixel_values}, as the Hugging Face
 * Pillow image processor computes them in float32: {@code v = (float)(u * (1/255 as double))},
 * then {@code (v - mean[c]) / std[c]} in float32. A frame count not divisible by the temporal patch
 * size is padded by repeating the last frame (a still image becomes two identical frames).
 */
public final class Patchify {
    private Patchify() {}

    /** The 256 normalised values of each channel: {@code table[c][u]}. */
    static float[][] normalisationTable(PreprocessorConfig cfg) {
        float[] mean = cfg.mean(), std = cfg.std();
        float[][] table = new float[3][256];
        double scale = 1.0 / 255.0;
        for (int c = 0; c < 3; c++) {
            for (int u = 0; u < 256; u++) {
                float v = (float) (u * scale);
                table[c][u] = (v - mean[c]) / std[c];
            }
        }
        return table;
    }

    /** Patchifies one still image (duplicated to {@code temporalPatchSize} frames). */
    public static PixelValues image(RgbImage image, PreprocessorConfig cfg) {
        return frames(List.of(image), cfg);
    }

    /**
     * Patchifies frames of equal size whose sides are multiples of {@code patchSize * mergeSize}.
     *
     * @throws IllegalArgumentException for no frames, frames of different sizes or sides that are not multiples
     */
    public static PixelValues frames(List<RgbImage> frames, PreprocessorConfig cfg) {
        if (frames.isEmpty()) throw new IllegalArgumentException("no frames to patchify");
        int w = frames.get(0).width(), h = frames.get(0).height();
        int ps = cfg.patchSize(), ms = cfg.mergeSize(), tps = cfg.temporalPatchSize();
        if (h % (ps * ms) != 0 || w % (ps * ms) != 0) {
            throw new IllegalArgumentException("frame size " + w + "x" + h + " is not a multiple of " + ps * ms);
        }
        for (int i = 1; i < frames.size(); i++) {
            RgbImage f = frames.get(i);
            if (f.width() != w || f.height() != h) {
                throw new IllegalArgumentException("frame " + i + " is " + f.width() + "x" + f.height()
                        + " but frame 0 is " + w + "x" + h);
            }
        }
        int frameCount = (frames.size() + tps - 1) / tps * tps;
        byte[][] planes = new byte[frameCount][];
        for (int i = 0; i < frameCount; i++) {
            planes[i] = frames.get(Math.min(i, frames.size() - 1)).rgb();
        }
        int gridT = frameCount / tps, gridH = h / ps, gridW = w / ps;
        int cols = cfg.patchDim();
        long rows = (long) gridT * gridH * gridW;
        if (rows * cols > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("pixel values of " + rows + " patches are too large for one array;"
                    + " lower max_pixels");
        }
        float[][] table = normalisationTable(cfg);
        float[] out = new float[(int) (rows * cols)];
        int o = 0;
        for (int t = 0; t < gridT; t++) {
            for (int bh = 0; bh < gridH / ms; bh++) {
                for (int bw = 0; bw < gridW / ms; bw++) {
                    for (int mh = 0; mh < ms; mh++) {
                        for (int mw = 0; mw < ms; mw++) {
                            int y0 = (bh * ms + mh) * ps;
                            int x0 = (bw * ms + mw) * ps;
                            for (int c = 0; c < 3; c++) {
                                float[] lut = table[c];
                                int first = o;
                                for (int tt = 0; tt < tps; tt++) {
                                    byte[] rgb = planes[t * tps + tt];
                                    if (tt > 0 && rgb == planes[t * tps]) {
                                        // a repeated frame (a still image): the same values again
                                        System.arraycopy(out, first, out, o, ps * ps);
                                        o += ps * ps;
                                        continue;
                                    }
                                    for (int py = 0; py < ps; py++) {
                                        int p = ((y0 + py) * w + x0) * 3 + c;
                                        for (int px = 0; px < ps; px++, p += 3) {
                                            out[o++] = lut[rgb[p] & 0xFF];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new PixelValues(out, (int) rows, cols, new Grid(gridT, gridH, gridW));
    }
}
