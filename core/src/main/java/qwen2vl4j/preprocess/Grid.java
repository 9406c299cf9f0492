package qwen2vl4j.preprocess;

import java.util.ArrayList;
import java.util.List;

/**
 * The patch grid of one image or video: {@code t} temporal patches × {@code h} × {@code w} spatial patches, one row
 * of Hugging Face's {@code image_grid_thw} / {@code video_grid_thw}. Made by preprocessing, carried by
 * {@link PixelValues} and {@link VisionBatch}, read by the vision tower ({@code VisionGrids}) and by the rope
 * index ({@code Qwen2VLModel.get_rope_index}).
 */
public record Grid(int t, int h, int w) {
    public Grid {
        if (t <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("grid " + t + "x" + h + "x" + w + ": expected 3 positive values (t, h, w)");
        }
        if ((long) t * h * w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid " + t + "x" + h + "x" + w + " holds more than " + Integer.MAX_VALUE + " patches");
        }
    }

    /**
     * The grids of a flattened {@code [n, 3]} {@code image_grid_thw} / {@code video_grid_thw} tensor.
     *
     * @throws IllegalArgumentException when its length is not a multiple of 3 or a row is not positive
     */
    public static List<Grid> rows(long[] thw) {
        if (thw.length % 3 != 0) throw new IllegalArgumentException("grid_thw holds " + thw.length + " values, not rows of (t, h, w)");
        List<Grid> out = new ArrayList<>(thw.length / 3);
        for (int i = 0; i < thw.length; i += 3) {
            out.add(new Grid(Math.toIntExact(thw[i]), Math.toIntExact(thw[i + 1]), Math.toIntExact(thw[i + 2])));
        }
        return out;
    }

    /** Patch rows of {@code pixel_values}: {@code t·h·w}. */
    public int patches() {
        return t * h * w;
    }

    /** Tokens after the vision tower's merger (one per {@code mergeSize × mergeSize} patches): {@code t·h·w / mergeSize²}. */
    public int tokens(int mergeSize) {
        return patches() / (mergeSize * mergeSize);
    }

    /** {@code {t, h, w}}, the row as stored in safetensors ({@code image_grid_thw}). */
    public long[] thw() {
        return new long[] {t, h, w};
    }

    @Override
    public String toString() {
        return t + "x" + h + "x" + w;
    }
}
