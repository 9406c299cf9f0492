package qwen2vl4j.generate;

import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Turns generated ids into text piece by piece (a streaming detokenizer). {@link #accept} returns the text that
 * became complete with this id (UTF-8 safe: an incomplete multi-byte character waits for the next ids);
 * {@link #flush} returns whatever is still pending when generation ends. One instance per generation.
 */
@FunctionalInterface
public interface TextDecoder {
    /** The text completed by {@code id}; may be empty. */
    String accept(int id);

    /** Text still pending at the end (e.g. an incomplete UTF-8 sequence, as replacement characters). */
    default String flush() {
        return "";
    }

    /** A decoder from an accept function and a flush function (e.g. {@code sd::accept, sd::flush}). */
    static TextDecoder of(IntFunction<String> accept, Supplier<String> flush) {
        Objects.requireNonNull(accept, "accept");
        Objects.requireNonNull(flush, "flush");
        return new TextDecoder() {
            @Override
            public String accept(int id) {
                return accept.apply(id);
            }

            @Override
            public String flush() {
                return flush.get();
            }
        };
    }

    /** A decoder from an accept function alone (nothing to flush). */
    static TextDecoder of(IntFunction<String> accept) {
        Objects.requireNonNull(accept, "accept");
        return accept::apply;
    }
}
