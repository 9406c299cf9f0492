package qwen2vl4j.preprocess;

/**
 * An image or video part of a request could not be used: it could not be read or decoded, or its options or size
 * do not fit. {@link #source()} names the part as its message gives it (a file path, a shortened URI, or the name
 * given to bytes in memory), so that a front end can point at the offending field.
 */
public final class MediaInputException extends ImageDecodeException {
    private final String source;

    /**
     * @param source  the part's source, as named in messages
     * @param message the whole message (it names the source)
     * @param cause   the error of the decoding or preprocessing step
     */
    public MediaInputException(String source, String message, Throwable cause) {
        super(message, cause);
        this.source = source;
    }

    /** The part's source, as named in messages. */
    public String source() {
        return source;
    }
}
