package qwen2vl4j.text;

import java.util.List;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.preprocess.Grid;

/**
 * Hugging Face's {@code Qwen2VLModel.get_rope_index}: three-axis position ids for a prompt mixing text,
 * images and videos. Text tokens advance all three axes together; the {@code t·h·w} pad tokens of an
 * image or video (after spatial merging) take {@code (start + t, start + h, start + w)} in t, h, w order,
 * and the text after a vision block continues at the block's maximum + 1. A prompt that continues a
 * session's cache starts at the session's next position instead of 0 (where Hugging Face adds its
 * {@code rope_deltas} to the cache position); this is the one place positions are offset.
 */
public final class RopeIndex {
    private final int imageTokenId;
    private final int videoTokenId;
    private final int visionStartTokenId;
    private final int spatialMergeSize;

    /**
     * @param imageTokenId       {@code <|image_pad|>} (config image_token_id)
     * @param videoTokenId       {@code <|video_pad|>} (config video_token_id)
     * @param visionStartTokenId {@code <|vision_start|>}, which precedes every image/video block
     * @param spatialMergeSize   patches merged per side into one token (vision_config.spatial_merge_size)
     */
    public RopeIndex(int imageTokenId, int videoTokenId, int visionStartTokenId, int spatialMergeSize) {
        if (spatialMergeSize <= 0) throw new IllegalArgumentException("spatial merge size must be positive, found " + spatialMergeSize);
        this.imageTokenId = imageTokenId;
        this.videoTokenId = videoTokenId;
        this.visionStartTokenId = visionStartTokenId;
        this.spatialMergeSize = spatialMergeSize;
    }

    /** {@code <|image_pad|>}. */
    public int imageTokenId() {
        return imageTokenId;
    }

    /** {@code <|video_pad|>}. */
    public int videoTokenId() {
        return videoTokenId;
    }

    /** Patches merged per side into one token. */
    public int spatialMergeSize() {
        return spatialMergeSize;
    }

    /** The token ids and merge size of {@code config}. */
    public static RopeIndex of(ModelConfig config) {
        return new RopeIndex(config.imageTokenId(), config.videoTokenId(), config.visionStartTokenId(),
                config.vision().spatialMergeSize());
    }

    /** Positions {@code 0..length−1} on every axis (a text-only prompt). */
    public static RopePositions textOnly(int length) {
        return textOnly(0, length);
    }

    /** Positions {@code first .. first+length−1} on every axis: text tokens that follow position {@code first − 1}. */
    public static RopePositions textOnly(int first, int length) {
        int[][] p = new int[3][length];
        for (int a = 0; a < 3; a++) for (int i = 0; i < length; i++) p[a][i] = first + i;
        return new RopePositions(p);
    }

    /**
     * Positions of {@code ids} counted from 0, exactly as {@code get_rope_index}.
     *
     * @see #compute(int[], List, List, int)
     */
    public RopePositions compute(int[] ids, List<Grid> imageGrids, List<Grid> videoGrids) {
        return compute(ids, imageGrids, videoGrids, 0);
    }

    /**
     * Positions of {@code ids} when the first of them takes position {@code first} (the next position of the
     * session they continue; 0 for a new one).
     *
     * @param imageGrids one patch grid per image, in prompt order (null or empty: none)
     * @param videoGrids one per video, in prompt order (null or empty: none)
     * @throws IllegalArgumentException when the number of images/videos in {@code ids} (a vision-start token
     *         followed by a pad token) differs from the grids given, or a block's pad tokens do not match its grid
     */
    public RopePositions compute(int[] ids, List<Grid> imageGrids, List<Grid> videoGrids, int first) {
        List<Grid> images = imageGrids == null ? List.of() : imageGrids;
        List<Grid> videos = videoGrids == null ? List.of() : videoGrids;
        if (first < 0) throw new IllegalArgumentException("first position must not be negative, found " + first);
        int len = ids.length;
        if (len == 0) throw new IllegalArgumentException("input_ids is empty");
        int nImages = countBlocks(ids, imageTokenId);
        int nVideos = countBlocks(ids, videoTokenId);
        if (nImages != images.size()) {
            throw new IllegalArgumentException("input_ids hold " + nImages + " images (vision_start followed by image_pad) but "
                    + images.size() + " image grids were given");
        }
        if (nVideos != videos.size()) {
            throw new IllegalArgumentException("input_ids hold " + nVideos + " videos (vision_start followed by video_pad) but "
                    + videos.size() + " video grids were given");
        }
        int[][] pos = new int[3][len];
        int st = 0;
        int next = first; // max position so far + 1
        int imageIndex = 0, videoIndex = 0;
        for (int block = 0; block < nImages + nVideos; block++) {
            int edImage = imageIndex < nImages ? indexOf(ids, imageTokenId, st) : Integer.MAX_VALUE;
            int edVideo = videoIndex < nVideos ? indexOf(ids, videoTokenId, st) : Integer.MAX_VALUE;
            boolean isImage = edImage < edVideo;
            int ed = Math.min(edImage, edVideo);
            if (ed == Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input_ids: no pad token left for " + (isImage ? "image " + imageIndex : "video " + videoIndex)
                        + " after index " + st);
            }
            String what = isImage ? "image " + imageIndex : "video " + videoIndex;
            Grid grid = isImage ? images.get(imageIndex++) : videos.get(videoIndex++);
            int gt = grid.t(), gh = llmDim(grid.h(), what), gw = llmDim(grid.w(), what);
            int tokens = gt * gh * gw;
            int padId = isImage ? imageTokenId : videoTokenId;
            checkPads(ids, ed, tokens, padId, what, grid);
            int textLen = ed - st;
            for (int i = 0; i < textLen; i++) setAll(pos, st + i, next + i);
            int base = next + textLen;
            int idx = ed;
            for (int tt = 0; tt < gt; tt++) {
                for (int hh = 0; hh < gh; hh++) {
                    for (int ww = 0; ww < gw; ww++) {
                        pos[0][idx] = base + tt;
                        pos[1][idx] = base + hh;
                        pos[2][idx] = base + ww;
                        idx++;
                    }
                }
            }
            next = base + Math.max(gt, Math.max(gh, gw));
            st = ed + tokens;
        }
        for (int i = 0; st + i < len; i++) setAll(pos, st + i, next + i);
        return new RopePositions(pos);
    }

    private int llmDim(int patches, String what) {
        if (patches <= 0 || patches % spatialMergeSize != 0) {
            throw new IllegalArgumentException(what + ": grid size " + patches + " is not a positive multiple of the spatial merge size "
                    + spatialMergeSize);
        }
        return patches / spatialMergeSize;
    }

    private static void checkPads(int[] ids, int start, int tokens, int padId, String what, Grid grid) {
        String expected = what + " with grid (" + grid.t() + ", " + grid.h() + ", " + grid.w() + ") needs " + tokens + " pad tokens";
        if (start + tokens > ids.length) {
            throw new IllegalArgumentException(expected + " from index " + start + " but input_ids end at " + ids.length);
        }
        for (int i = start; i < start + tokens; i++) {
            if (ids[i] != padId) {
                throw new IllegalArgumentException(expected + " from index " + start + " but index " + i + " holds token " + ids[i]);
            }
        }
    }

    /** Images whose block ({@code <|vision_start|>} and its pads) begins among the first {@code end} tokens. */
    public int imagesIn(int[] ids, int end) {
        return countBlocks(ids, imageTokenId, end);
    }

    /** Videos whose block begins among the first {@code end} tokens. */
    public int videosIn(int[] ids, int end) {
        return countBlocks(ids, videoTokenId, end);
    }

    private int countBlocks(int[] ids, int padId) {
        return countBlocks(ids, padId, ids.length);
    }

    private int countBlocks(int[] ids, int padId, int end) {
        int n = 0;
        for (int i = 0; i + 1 < ids.length && i < end; i++) {
            if (ids[i] == visionStartTokenId && ids[i + 1] == padId) n++;
        }
        return n;
    }

    private static int indexOf(int[] ids, int token, int from) {
        for (int i = from; i < ids.length; i++) if (ids[i] == token) return i;
        return Integer.MAX_VALUE;
    }

    private static void setAll(int[][] pos, int index, int value) {
        pos[0][index] = value;
        pos[1][index] = value;
        pos[2][index] = value;
    }
}
