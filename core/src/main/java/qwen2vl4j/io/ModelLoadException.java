package qwen2vl4j.io;

/**
 * A model folder, file or tensor could not be used. The message always names the file and,
 * where there is one, the tensor or field, with what was expected and what was found.
 */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
