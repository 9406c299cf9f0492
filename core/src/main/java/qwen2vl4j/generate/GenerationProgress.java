package qwen2vl4j.generate;

import java.util.function.Supplier;

/**
 * Progress of the long steps before the first token: a video file's decoding reports every few frames (from the
 * video module), the vision tower after each block, the prefill after each piece of at most 512 tokens. A listener
 * is bound to the calling thread for the length of one call ({@link #during}); the model reports on that thread,
 * between its steps, so a listener may print, send or throw (an exception ends the work). Nothing is reported when no listener is bound.
 *
 * <pre>{@code
 * GenerationResult r = GenerationProgress.during((stage, done, total, tokens) -> System.err.printf("%s %d/%d%n", stage, done, total),
 *         () -> model.generate(messages, params, null));
 * }</pre>
 */
@FunctionalInterface
public interface GenerationProgress {
    /** The step being reported. */
    enum Stage {
        /**
         * A video file's frames being decoded: {@code done} of {@code total} frames read, from its start to its last
         * sampled frame (every frame is decoded, the sampled ones kept); {@code tokens} is 0.
         */
        VIDEO,
        /** The vision tower: {@code done} of {@code total} blocks; {@code tokens} visual tokens it produces. */
        VISION,
        /** The prompt's prefill: {@code done} of {@code total} tokens; {@code tokens} = {@code total}. */
        PREFILL
    }

    /** Called with {@code done == 0} when a step starts and after each block or piece, {@code done == total} last. */
    void progress(Stage stage, int done, int total, int tokens);

    /** The listener of the running call, if any. */
    ScopedValue<GenerationProgress> CURRENT = ScopedValue.newInstance();

    /** Runs {@code work} on this thread with {@code listener} told about its vision encode and prefill. */
    static <T> T during(GenerationProgress listener, Supplier<T> work) {
        return ScopedValue.where(CURRENT, listener).call(work::get);
    }

    /** Tells the bound listener, if there is one (for the model's own steps). */
    static void report(Stage stage, int done, int total, int tokens) {
        if (CURRENT.isBound()) CURRENT.get().progress(stage, done, total, tokens);
    }
}
