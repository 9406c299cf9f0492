package qwen2vl4j.vision;

import java.util.List;
import qwen2vl4j.preprocess.Grid;

/**
 * The patch layout of one vision forward pass, derived from the {@link Grid}s of {@code grid_thw}:
 * where each attention window (one image, or one temporal slice of a video) starts, and the
 * height / width position of every patch row. Rows of {@code pixel_values} come in merge-block
 * order (as {@code Qwen2VLImageProcessor} patchifies): per temporal slice, block row {@code bh}, block column {@code bw}, then the
 * {@code m × m} patches of the block, so patch {@code (mh, mw)} of block {@code (bh, bw)} sits at
 * height {@code m·bh + mh} and width {@code m·bw + mw}.
 *
 * @param windowStarts    {@code cu_seqlens}: window {@code i} is rows {@code [windowStarts[i], windowStarts[i+1])}
 * @param heightPositions height position of every patch row, {@code [patches]}
 * @param widthPositions  width position of every patch row, {@code [patches]}
 */
public record VisionGrids(int[] windowStarts, int[] heightPositions, int[] widthPositions) {

    /**
     * Validates {@code grids} (h and w multiples of {@code mergeSize}, Σ t·h·w = {@code patches}) and lays the
     * patches out.
     */
    public static VisionGrids of(List<Grid> grids, int patches, int mergeSize) {
        if (grids.isEmpty()) throw new IllegalArgumentException("grid_thw is empty: expected one (t, h, w) grid per image or video");
        long total = 0;
        int windows = 0;
        for (int i = 0; i < grids.size(); i++) {
            Grid g = grids.get(i);
            if (g.h() % mergeSize != 0 || g.w() % mergeSize != 0) {
                throw new IllegalArgumentException("grid_thw row " + i + " is " + g + ": h and w must be multiples of the merge size " + mergeSize);
            }
            total += g.patches();
            windows += g.t();
        }
        if (total != patches) {
            throw new IllegalArgumentException("grid_thw describes " + total + " patches but pixel_values has " + patches + " rows");
        }
        int[] starts = new int[windows + 1];
        int[] hpos = new int[patches];
        int[] wpos = new int[patches];
        int row = 0, window = 0;
        for (Grid g : grids) {
            for (int t = 0; t < g.t(); t++) {
                starts[window++] = row;
                for (int bh = 0; bh < g.h() / mergeSize; bh++) {
                    for (int bw = 0; bw < g.w() / mergeSize; bw++) {
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
