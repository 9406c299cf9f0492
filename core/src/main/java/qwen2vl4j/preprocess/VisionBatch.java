package qwen2vl4j.preprocess;

import java.util.ArrayList;
import java.util.List;

/**
 * Several images (or several videos) as the model takes them together: pixel value rows concatenated in
 * order ({@code [rows, cols]}, row-major) and one {@link Grid} per item ({@code image_grid_thw} /
 * {@code video_grid_thw}).
 */
public record VisionBatch(float[] data, int rows, int cols, List<Grid> grids) {
    public VisionBatch {
        grids = List.copyOf(grids);
    }

    /** Concatenates items of equal column count. */
    public static VisionBatch of(List<PixelValues> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("no images or videos to batch");
        int cols = items.get(0).cols();
        long total = 0;
        for (PixelValues p : items) {
            if (p.cols() != cols) {
                throw new IllegalArgumentException("pixel values have " + p.cols() + " columns, expected " + cols);
            }
            total += p.data().length;
        }
        if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("batch of " + total + " values is too large");
        float[] data = new float[(int) total];
        List<Grid> grids = new ArrayList<>(items.size());
        int offset = 0, rows = 0;
        for (PixelValues p : items) {
            System.arraycopy(p.data(), 0, data, offset, p.data().length);
            offset += p.data().length;
            rows += p.rows();
            grids.add(p.grid());
        }
        return new VisionBatch(data, rows, cols, grids);
    }

    /** The grids flattened row-major, {@code [items, 3]}, as stored in safetensors ({@code image_grid_thw}). */
    public long[] gridThwFlat() {
        long[] out = new long[grids.size() * 3];
        for (int i = 0; i < grids.size(); i++) System.arraycopy(grids.get(i).thw(), 0, out, 3 * i, 3);
        return out;
    }
}
