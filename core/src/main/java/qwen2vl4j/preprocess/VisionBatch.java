package qwen2vl4j.preprocess;

import java.util.List;

/**
 * Several images (or several videos) as the model takes them together: pixel value rows concatenated in
 * order ({@code [rows, cols]}, row-major) and one {@code [t, h, w]} grid row per item
 * ({@code image_grid_thw} / {@code video_grid_thw}).
 */
public record VisionBatch(float[] data, int rows, int cols, long[][] gridThw) {
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
        long[][] grids = new long[items.size()][];
        int offset = 0, rows = 0;
        for (int i = 0; i < items.size(); i++) {
            PixelValues p = items.get(i);
            System.arraycopy(p.data(), 0, data, offset, p.data().length);
            offset += p.data().length;
            rows += p.rows();
            grids[i] = p.gridThw();
        }
        return new VisionBatch(data, rows, cols, grids);
    }

    /** The grids as int rows {t, h, w}, as the vision tower and the rope index take them. */
    public int[][] gridArray() {
        int[][] out = new int[gridThw.length][3];
        for (int i = 0; i < gridThw.length; i++) for (int j = 0; j < 3; j++) out[i][j] = Math.toIntExact(gridThw[i][j]);
        return out;
    }

    /** {@link #gridArray()} as a list. */
    public List<int[]> grids() {
        return List.of(gridArray());
    }

    /** The grids flattened row-major, {@code [items, 3]}, as stored in safetensors. */
    public long[] gridThwFlat() {
        long[] out = new long[gridThw.length * 3];
        for (int i = 0; i < gridThw.length; i++) System.arraycopy(gridThw[i], 0, out, 3 * i, 3);
        return out;
    }
}
