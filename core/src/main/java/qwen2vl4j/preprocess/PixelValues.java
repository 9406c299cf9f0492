package qwen2vl4j.preprocess;

/**
 * Patchified, normalised pixels of one image or video, as the vision tower takes them:
 * {@code data} is row-major {@code [rows, cols]} with {@code rows = grid.patches()} and
 * {@code cols = 3 * temporalPatchSize * patchSize^2} (1176); rows come in 2x2 merge blocks.
 */
public record PixelValues(float[] data, int rows, int cols, Grid grid) {
    public PixelValues {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("pixel values of " + rows + "x" + cols + " need " + (long) rows * cols
                    + " floats, found " + data.length);
        }
        if (grid.patches() != rows) {
            throw new IllegalArgumentException("grid " + grid + " does not match " + rows + " rows");
        }
    }

    /** The number of LLM tokens these patches become after the merger: {@code rows / mergeSize^2}. */
    public int tokenCount(int mergeSize) {
        return grid.tokens(mergeSize);
    }

    @Override
    public String toString() {
        return "PixelValues[" + rows + "x" + cols + ", grid " + grid + "]";
    }
}
