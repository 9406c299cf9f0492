/**
 * Image and video preprocessing for Qwen2-VL, identical to the Hugging Face reference with the Pillow backend:
 * {@link qwen2vl4j.preprocess.ImageDecoder} (file bytes to {@link qwen2vl4j.preprocess.RgbImage}),
 * {@link qwen2vl4j.preprocess.SmartResize} (target size), {@link qwen2vl4j.preprocess.PillowResize}
 * (bicubic, bit-exact with Pillow), {@link qwen2vl4j.preprocess.Patchify} (normalise and lay out
 * {@code pixel_values}); {@link qwen2vl4j.preprocess.ImageProcessor} and
 * {@link qwen2vl4j.preprocess.VideoProcessor} put them together, with per-item
 * {@link qwen2vl4j.preprocess.VisionOptions} as qwen-vl-utils takes them.
 */
package qwen2vl4j.preprocess;
