package qwen2vl4j;

import java.util.List;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.grounding.Grounding;
import qwen2vl4j.preprocess.VisionBatch;

/**
 * A prompt ready for the model: token ids with every image and video placeholder expanded to one
 * pad token per merged vision token, and the patches those pad tokens stand for.
 *
 * @param prompt      the rendered chat template (one placeholder per image / video)
 * @param ids         token ids after placeholder expansion
 * @param images      all images' patches, concatenated in order of appearance (null when none)
 * @param videos      all videos' patches, concatenated in order of appearance (null when none)
 * @param imageTokens pad tokens standing for images
 * @param videoTokens pad tokens standing for videos
 * @param imageSizes  the original size of each image, in order of appearance (empty when none, or not known)
 */
public record ModelInputs(String prompt, int[] ids, VisionBatch images, VisionBatch videos, int imageTokens, int videoTokens,
                          List<Size> imageSizes) {

    /** An image's size in pixels, as decoded (before resizing). */
    public record Size(int width, int height) {}

    public ModelInputs {
        imageSizes = List.copyOf(imageSizes);
    }

    /** Inputs whose image sizes are not known. */
    public ModelInputs(String prompt, int[] ids, VisionBatch images, VisionBatch videos, int imageTokens, int videoTokens) {
        this(prompt, ids, images, videos, imageTokens, videoTokens, List.of());
    }

    /** These inputs with other token ids (e.g. with tokens of a previous turn before them). */
    public ModelInputs withIds(int[] newIds) {
        return new ModelInputs(prompt, newIds, images, videos, imageTokens, videoTokens, imageSizes);
    }

    /** These inputs with the images' original sizes. */
    public ModelInputs withImageSizes(List<Size> sizes) {
        return new ModelInputs(prompt, ids, images, videos, imageTokens, videoTokens, sizes);
    }

    /**
     * The grounding boxes of an answer to these inputs ({@link Grounding}): in pixels of the first image (the image
     * boxes refer to in every front end), or on Qwen2-VL's 0–1000 grid when there is no image.
     *
     * @param answerWithSpecialTokens the generated ids decoded with their special tokens kept
     */
    public List<Box> boxes(String answerWithSpecialTokens) {
        if (imageSizes.isEmpty()) return Grounding.parseNormalized(answerWithSpecialTokens);
        Size first = imageSizes.get(0);
        return Grounding.parse(answerWithSpecialTokens, first.width(), first.height());
    }
}
