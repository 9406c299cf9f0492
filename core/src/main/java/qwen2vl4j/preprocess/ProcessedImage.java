package qwen2vl4j.preprocess;

/** A preprocessed image: the resized RGB image and the pixel values made from it. */
public record ProcessedImage(RgbImage resized, PixelValues pixelValues) {}
