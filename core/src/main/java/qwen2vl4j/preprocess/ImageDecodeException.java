package qwen2vl4j.preprocess;

/** An image or video could not be read or is not acceptable; the message names the source and what is wrong. */
public class ImageDecodeException extends RuntimeException {
    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
