package qwen2vl4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import qwen2vl4j.MediaLoader;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.chat.Messages;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.grounding.BoxDrawer;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * {@code run --draw-boxes OUT.png}: the boxes of the answer, read from the generated ids with their special tokens,
 * scaled to the first image of the request by {@link ModelInputs#boxes} (with the image size the request's
 * preprocessing found, as the server does) and drawn on that image.
 *
 * @param out   the PNG to write
 * @param image the first image of the request, which the boxes refer to
 */
record BoxDrawing(Path out, MediaSource image) {

    /**
     * Checks, before the model is loaded, that the request has an image and that {@code out}'s folder exists.
     *
     * @throws IllegalArgumentException naming what is missing
     */
    static BoxDrawing prepare(Path out, List<Message> messages) {
        MediaSource image = firstImage(messages);
        if (image == null) {
            throw new IllegalArgumentException("--draw-boxes " + out + " needs an image in the request (boxes refer to the first image)");
        }
        if (out.toString().isEmpty() || Files.isDirectory(out)) {
            throw new IllegalArgumentException("--draw-boxes must name a PNG file to write, found " + (out.toString().isEmpty() ? "''" : "the folder " + out));
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--draw-boxes " + out + ": folder " + parent + " does not exist");
        }
        return new BoxDrawing(out, image);
    }

    /** The first image part of the conversation (the image boxes refer to, as {@link ModelInputs#boxes} says), or null. */
    static MediaSource firstImage(List<Message> messages) {
        List<ContentPart.Image> images = Messages.images(messages);
        return images.isEmpty() ? null : images.get(0).source();
    }

    /** Parses the boxes of {@code result}, the answer to {@code inputs}, draws them on the image, writes {@link #out}; returns the boxes. */
    List<Box> draw(ModelInputs inputs, GenerationResult result, Tokenizer tokenizer) {
        return draw(inputs, tokenizer.decode(result.ids(), false));
    }

    /**
     * Parses the boxes of {@code answerWithSpecialTokens} (the answer to {@code inputs}) in pixels of the first image,
     * draws them on it, writes {@link #out}; returns them. The image is read again only for its pixels.
     */
    List<Box> draw(ModelInputs inputs, String answerWithSpecialTokens) {
        if (inputs.imageSizes().isEmpty()) {
            throw new IllegalArgumentException("--draw-boxes " + out + " needs an image in the request (boxes refer to the first image)");
        }
        List<Box> boxes = inputs.boxes(answerWithSpecialTokens);
        BoxDrawer.draw(decode(image), boxes, out);
        return boxes;
    }

    /** The boxes as the {@code "boxes"} value of the JSON output. */
    static List<Map<String, Object>> toJson(List<Box> boxes) {
        return boxes.stream().map(Box::toMap).toList();
    }

    /** The stderr line of the text format: how many boxes were drawn, and each one. */
    static String summary(List<Box> boxes, Path out) {
        StringBuilder sb = new StringBuilder("[" + boxes.size() + (boxes.size() == 1 ? " box" : " boxes") + " drawn on " + out);
        for (Box b : boxes) {
            sb.append(String.format(Locale.ROOT, "; %s (%.0f,%.0f)-(%.0f,%.0f)",
                    b.label() == null ? "-" : b.label(), b.x1(), b.y1(), b.x2(), b.y2()));
        }
        return sb.append(']').toString();
    }

    private static RgbImage decode(MediaSource source) {
        return new MediaLoader(new ImageDecoder()).image(source);
    }
}
