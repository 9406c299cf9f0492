package qwen2vl4j.preprocess;

/**
 * Patchified, normalised pixels of one image or video, as the vision tower takes them:
 * {@code data} is row-major {@code [rows, cols]} with {@code rows = gridT * gridH * gridW} and
 * {@code cols = 3 * temporalPatchSize * patchSize^2} (1176); rows come in 2x2 merge blocks.
 */
public record PixelValues(float[] data, int rows, int cols, int gridT, int gridH, int gridW) {
    public PixelValues {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("pixel values of " + rows + "x" + cols + " need " + (long) rows * cols
                    + " floats, found " + data.length);
        }
        if ((long) gridT * gridH * gridW != rows) {
            throw new IllegalArgumentException("grid " + gridT + "x" + gridH + "x" + gridW + " does not match " + rows + " rows");
        }
    }

    /** {@code {gridT, gridH, gridW}}, the row of {@code image_grid_thw} / {@code video_grid_thw}. */
    public long[] gridThw() {
        return new long[] {gridT, gridH, gridW};
    }

    /** The number of LLM tokens these patches become after the merger: {@code rows / mergeSize^2}. */
    public int tokenCount(int mergeSize) {
        return rows / (mergeSize * mergeSize);
    }

    @Override
    public String toString() {
        return "PixelValues[" + rows + "x" + cols + ", grid " + gridT + "x" + gridH + "x" + gridW + "]";
    }
}
