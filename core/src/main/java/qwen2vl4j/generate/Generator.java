package qwen2vl4j.generate;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The model-independent generation loop: prefill, then per step process the logits, pick a token, check the
 * stop conditions, stream the token and feed it back. Holds no per-generation state, so one generator can
 * serve several threads at once (each with its own {@link LogitsSource}).
 */
public final class Generator {
    private final Supplier<? extends TextDecoder> decoders;

    /** A generator that decodes no text (results have empty text; stop strings cannot be used). */
    public Generator() {
        this.decoders = null;
    }

    /** A generator decoding text with a fresh decoder from {@code decoders} for each generation. */
    public Generator(Supplier<? extends TextDecoder> decoders) {
        this.decoders = Objects.requireNonNull(decoders, "decoders");
    }

    /** A generator over a stateless id-to-text function (e.g. a stream decoder's {@code accept}, created per call). */
    public static Generator decodingWith(Supplier<? extends IntFunction<String>> decoders) {
        Objects.requireNonNull(decoders, "decoders");
        return new Generator(() -> TextDecoder.of(decoders.get()));
    }

    /**
     * Generates up to {@code params.maxNewTokens()} tokens after {@code promptIds}.
     *
     * @param source    the model; its prefill must correspond to {@code promptIds}
     * @param promptIds the full prompt (with image/video placeholders): the repetition penalty looks at it
     * @param params    decoding options
     * @param listener  told about each token as it is produced; may be null
     * @throws IllegalArgumentException when stop strings are requested from a generator without a decoder, or a
     *                                  source returns logits no token survives
     */
    public GenerationResult generate(LogitsSource source, int[] promptIds, SamplingParams params, TokenListener listener) {
        if (decoders == null && params != null && !params.stopStrings().isEmpty()) {
            throw new IllegalArgumentException("stopStrings " + params.stopStrings() + " need a Generator with a text decoder");
        }
        return generate(source, promptIds, params, decoders == null ? id -> "" : decoders.get(), listener);
    }

    /**
     * As {@link #generate(LogitsSource, int[], SamplingParams, TokenListener)}, decoding with {@code decoder}
     * (fresh for this generation) instead of one from this generator's factory.
     */
    public GenerationResult generate(LogitsSource source, int[] promptIds, SamplingParams params, TextDecoder decoder,
            TokenListener listener) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(promptIds, "promptIds");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(decoder, "decoder");
        TokenListener out = listener == null ? TokenListener.NONE : listener;
        TokenHistory history = new TokenHistory(promptIds);
        Sampler sampler = new Sampler(params.seed());
        StopChecker stop = new StopChecker(params);
        int[] ids = new int[Math.min(params.maxNewTokens(), 1024)];
        int count = 0;

        long start = System.nanoTime();
        float[] logits = source.prefill();
        long prefillEnd = System.nanoTime();
        FinishReason reason = null;
        while (reason == null) {
            LogitsProcessors.apply(logits, params, history);
            int id = sampler.next(logits, !params.sampling());
            history.addGenerated(id);
            if (count == ids.length) ids = Arrays.copyOf(ids, Math.min(params.maxNewTokens(), count * 2));
            ids[count++] = id;

            if (stop.isStopToken(id)) reason = FinishReason.STOP;
            else if (stop.append(decoder.accept(id))) reason = FinishReason.STOP;
            else if (stop.reachedLength(count)) reason = FinishReason.LENGTH;
            if (reason != null && !stop.stopStringFound() && stop.append(decoder.flush())) reason = FinishReason.STOP;

            out.onToken(id, reason == null ? stop.release() : stop.releaseAll());
            if (reason == null) logits = source.next(id);
        }
        long end = System.nanoTime();

        Timings timings = Timings.of((prefillEnd - start) / 1e6, promptIds.length, (end - prefillEnd) / 1e6, count - 1);
        return new GenerationResult(Arrays.copyOf(ids, count), stop.text(), reason, Usage.of(promptIds.length, count), timings);
    }
}
