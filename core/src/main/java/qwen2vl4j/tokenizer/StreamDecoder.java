package qwen2vl4j.tokenizer;

import java.util.Arrays;

/**
 * Decodes token ids one at a time, as they are generated, returning only complete UTF-8 text: a
 * token that ends in the middle of a multi-byte character holds those bytes back until the
 * character is complete. The concatenation of everything {@link #accept} and {@link #flush} return
 * equals {@link Tokenizer#decode} of all ids. One decoder per stream; not thread-safe.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    private byte[] pending = new byte[16];
    private int pendingLength;

    StreamDecoder(Tokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    /**
     * Adds one token.
     *
     * @return the text that became complete ("" if none yet)
     * @throws IllegalArgumentException if the id is not a token
     */
    public String accept(int id) {
        byte[] bytes = tokenizer.bytesOf(id);
        if (skipSpecial && tokenizer.isSpecial(id)) return "";
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        StringBuilder out = new StringBuilder();
        int consumed = Utf8.decodeInto(pending, pendingLength, true, out);
        System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
        pendingLength -= consumed;
        return out.toString();
    }

    /** Ends the stream: returns what is held back, with U+FFFD for an unfinished character, and resets. */
    public String flush() {
        String rest = Utf8.decode(pending, pendingLength);
        pendingLength = 0;
        return rest;
    }
}
