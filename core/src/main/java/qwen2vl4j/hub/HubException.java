package qwen2vl4j.hub;

import qwen2vl4j.io.ModelLoadException;

/**
 * Talking to the Hugging Face hub or filling its cache failed: repo not found, access denied,
 * network down, offline mode without a cached copy, a checksum that does not match. The message
 * is one line that names the repo or file and says what to do.
 */
public class HubException extends ModelLoadException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
