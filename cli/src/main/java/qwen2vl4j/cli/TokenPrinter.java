package qwen2vl4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import qwen2vl4j.generate.TokenListener;

/** Streams each token's text to a byte stream as UTF-8 (whatever the platform encoding), flushed per token. */
final class TokenPrinter implements TokenListener {
    private final OutputStream out;

    TokenPrinter(OutputStream out) {
        this.out = out;
    }

    @Override
    public void onToken(int id, String textDelta) {
        if (!textDelta.isEmpty()) print(textDelta);
    }

    /** Writes {@code text} as UTF-8 and flushes. */
    void print(String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to stdout: " + e.getMessage(), e);
        }
    }
}
