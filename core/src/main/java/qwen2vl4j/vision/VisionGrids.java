package qwen2vl4j.vision;

import java.util.Arrays;
import java.util.List;

/**
 * The patch layout of one vision forward pass, derived from the {@code grid_thw} rows:
 * where each attention window (one image, or one temporal slice of a video) starts, and the
 * height / width position of every patch row. Rows of {@code pixel_values} come in merge-block
 * order (spec §2.5): per temporal slice, block row {@code bh}, block column {@code bw}, then the
 * {@code m × m} patches of the block, so patch {@code (mh, mw)} of block {@code (bh, bw)} sits at
 * height {@code m·bh + mh} and width {@code m·bw + mw}.
 *
 * @param windowStarts    {@code cu_seqlens}: window {@code i} is rows {@code [windowStarts[i], windowStarts[i+1])}
 * @param heightPositions height position of every patch row, {@code [patches]}
 * @param widthPositions  width position of every patch row, {@code [patches]}
 */
public record VisionGrids(int[] windowStarts, int[] heightPositions, int[] widthPositions) {

    /**
     * Validates {@code gridThw} (each {@code {t, h, w}} positive, h and w multiples of
     * {@code mergeSize}, Σ t·h·w = {@code patches}) and lays the patches out.
     */
    public static VisionGrids of(List<int[]> gridThw, int patches, int mergeSize) {
        if (gridThw.isEmpty()) throw new IllegalArgumentException("grid_thw is empty: expected one {t, h, w} row per image or video");
        long total = 0;
        int windows = 0;
        for (int i = 0; i < gridThw.size(); i++) {
            int[] g = gridThw.get(i);
            if (g == null || g.length != 3 || g[0] <= 0 || g[1] <= 0 || g[2] <= 0) {
                throw new IllegalArgumentException("grid_thw row " + i + " is " + Arrays.toString(g) + ": expected 3 positive values {t, h, w}");
            }
            if (g[1] % mergeSize != 0 || g[2] % mergeSize != 0) {
                throw new IllegalArgumentException("grid_thw row " + i + " is " + Arrays.toString(g) + ": h and w must be multiples of the merge size " + mergeSize);
            }
            total += (long) g[0] * g[1] * g[2];
            windows += g[0];
        }
        if (total != patches) {
            throw new IllegalArgumentException("grid_thw describes " + total + " patches but pixel_values has " + patches + " rows");
        }
        int[] starts = new int[windows + 1];
        int[] hpos = new int[patches];
        int[] wpos = new int[patches];
        int row = 0, window = 0;
        for (int[] g : gridThw) {
            for (int t = 0; t < g[0]; t++) {
                starts[window++] = row;
                for (int bh = 0; bh < g[1] / mergeSize; bh++) {
                    for (int bw = 0; bw < g[2] / mergeSize; bw++) {
                        for (int mh = 0; mh < mergeSize; mh++) {
                            for (int mw = 0; mw < mergeSize; mw++) {
                                hpos[row] = bh * mergeSize + mh;
                                wpos[row] = bw * mergeSize + mw;
                                row++;
                            }
                        }
                    }
                }
            }
        }
        starts[windows] = row;
        return new VisionGrids(starts, hpos, wpos);
    }

    /** Number of patch rows. */
    public int patches() {
        return heightPositions.length;
    }

    /** Number of attention windows. */
    public int windows() {
        return windowStarts.length - 1;
    }
}
