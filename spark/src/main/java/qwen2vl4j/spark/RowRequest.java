package qwen2vl4j.spark;

import qwen2vl4j.chat.MediaSource;

/**
 * One row to answer: an image and a prompt, or the reason the row cannot be answered at all.
 *
 * @param name   how errors name the row (its path, or its position in the partition)
 * @param image  the image; null when {@code error} is set
 * @param prompt the user's text; null when {@code error} is set
 * @param error  why the row has no usable input (e.g. a null image column), or null
 */
public record RowRequest(String name, MediaSource image, String prompt, String error) {

    /** A row with an image and a prompt. */
    public static RowRequest of(String name, MediaSource image, String prompt) {
        return new RowRequest(name, image, prompt, null);
    }

    /** A row that is answered with {@code error} only. */
    public static RowRequest invalid(String name, String error) {
        return new RowRequest(name, null, null, error);
    }
}
