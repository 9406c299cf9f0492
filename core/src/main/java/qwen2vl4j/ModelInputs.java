package qwen2vl4j;

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
 */
public record ModelInputs(String prompt, int[] ids, VisionBatch images, VisionBatch videos, int imageTokens, int videoTokens) {}
