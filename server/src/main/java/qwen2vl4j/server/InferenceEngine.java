package qwen2vl4j.server;

import java.util.List;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.MultimodalPrefill;
import qwen2vl4j.PromptCache;
import qwen2vl4j.PromptTooLongException;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.Qwen2VLProcessor;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Generator;
import qwen2vl4j.generate.LogitsSource;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.text.ContextLimitException;
import qwen2vl4j.text.ContinuousBatcher;
import qwen2vl4j.text.TextSession;

/**
 * The model side of the server: turns a request's messages into model inputs with the library's
 * {@link Qwen2VLProcessor} (media arrive as bytes, fetched by the {@link ChatRequestParser}) and generates, each
 * request with its own KV cache. With a {@link ContinuousBatcher} the decode steps of concurrent generations run
 * batched; without one each generation decodes on its own thread. Either way a request's answer is the same as
 * {@link Qwen2VL#generate} with the same messages and parameters.
 */
final class InferenceEngine implements AutoCloseable {
    /** Images (and the frames of a video together) with more pixels than this are refused before decoding. */
    static final long MAX_IMAGE_PIXELS = 64L << 20;

    private final Qwen2VL model;
    private final Qwen2VLProcessor processor;
    private final Generator generator;
    private final ContinuousBatcher scheduler;
    /** Prompts already run, so that a conversation sent again with a new turn runs only the turn (null: none kept). */
    private final PromptCache promptCache;
    private final Metrics metrics;

    InferenceEngine(Qwen2VL model, boolean batching, int maxBatch, Metrics metrics) {
        this(model, batching, maxBatch, metrics, Integer.MAX_VALUE, false, 0);
    }

    /**
     * With a limit on the visual tokens of one request (checked from the image headers before anything is decoded),
     * special-token text in message content read as plain text when {@code escapeSpecialTokens}, and a
     * {@link PromptCache} of {@code promptCacheBytes} (0: none).
     */
    InferenceEngine(Qwen2VL model, boolean batching, int maxBatch, Metrics metrics, int maxVisualTokens, boolean escapeSpecialTokens,
                    long promptCacheBytes) {
        this.model = model;
        this.metrics = metrics;
        this.promptCache = promptCacheBytes > 0 ? new PromptCache(promptCacheBytes) : null;
        this.processor = model.processor().withMaxImagePixels(MAX_IMAGE_PIXELS).withMaxVisualTokens(maxVisualTokens)
                .withEscapedSpecialTokens(escapeSpecialTokens);
        this.generator = model.generator();
        this.scheduler = batching ? new ContinuousBatcher(model.text(), maxBatch, "qwen2vl4j-decode", metrics::decodeStep) : null;
    }

    /**
     * The floor of an image part that gives only {@code max_pixels}: the default {@code min_pixels} (e.g. lowered by
     * {@code --max-pixels}) where the part's bound reaches it, else the processor's own, so the lower of the two.
     */
    long minImagePixels() {
        return Math.min(processor.imagePixelBounds()[0], processor.preprocessor().minPixels());
    }

    /** The processor's largest pixel count of a resized image: the upper bound of a part's {@code min_pixels}. */
    long maxImagePixelBudget() {
        return processor.preprocessor().maxPixels();
    }

    /** The model's default decoding options (generation_config.json). */
    SamplingParams defaults() {
        return model.defaultParams();
    }

    /**
     * Renders, tokenizes and preprocesses {@code messages} as {@link Qwen2VL#generate} does.
     *
     * @throws ApiException 400 naming the part for media that cannot be decoded or bad vision options, 400 naming
     *                      {@code messages} for messages the template refuses or a prompt over the context
     */
    ModelInputs prepare(List<Message> messages) {
        ModelInputs inputs;
        try {
            inputs = processor.process(messages, true, false);
        } catch (ContextLimitException e) {
            throw ApiException.badRequest("messages", "context_length_exceeded", "the prompt (images and videos counted from their "
                    + "headers) holds " + (e.requested() - 1) + " tokens; the context holds " + e.limit() + " tokens, answer included");
        } catch (PromptTooLongException e) {
            throw ApiException.badRequest("messages", e.isVisualLimit() ? "too_many_visual_tokens" : "context_length_exceeded", e.getMessage());
        } catch (MediaInputException e) {
            throw ApiException.badRequest(e.source(), e.getMessage());
        } catch (ImageDecodeException | IllegalArgumentException e) {
            throw ApiException.badRequest("messages", e.getMessage());
        }
        int limit = model.contextLength();
        if (inputs.ids().length >= limit) {
            throw ApiException.badRequest("messages", "context_length_exceeded", "the prompt holds " + inputs.ids().length
                    + " tokens (" + inputs.imageTokens() + " for images, " + inputs.videoTokens() + " for videos); the context holds "
                    + limit + " tokens, answer included");
        }
        return inputs;
    }

    /** {@code ids} decoded with their special tokens (for grounding boxes). */
    String decodeWithSpecialTokens(int[] ids) {
        return model.tokenizer().decodeGenerated(ids, false);
    }

    /**
     * Generates the answer to {@code inputs}; {@code params.maxNewTokens()} is cut to the room left in the context.
     * The listener may throw to stop the generation at once (e.g. when the client went away).
     */
    GenerationResult generate(ModelInputs inputs, SamplingParams params, TokenListener listener) {
        return generate(inputs, params, listener, () -> { });
    }

    /**
     * As {@link #generate(ModelInputs, SamplingParams, TokenListener)}, calling {@code checkpoint} between the stages
     * (after the vision encoder, after the prefill): it throws to end the request there (time limit passed, client gone).
     */
    GenerationResult generate(ModelInputs inputs, SamplingParams params, TokenListener listener, Runnable checkpoint) {
        return generate(inputs, params, listener, checkpoint, cached -> { });
    }

    /**
     * As above, telling {@code cachedTokens} how many prompt tokens came from the prompt cache before anything runs (for
     * the usage of an answer that a time limit cuts short).
     */
    GenerationResult generate(ModelInputs inputs, SamplingParams params, TokenListener listener, Runnable checkpoint,
                              java.util.function.IntConsumer cachedTokens) {
        int[] ids = inputs.ids();
        // the vision tower over the media after the start the prompt cache holds (all of them without a hit)
        MultimodalPrefill.Encoded encoded = model.multimodalPrefill().encode(inputs, promptCache);
        if (metrics != null) metrics.cachedPrompt(encoded.cachedTokens());
        cachedTokens.accept(encoded.cachedTokens());
        checkpoint.run();
        SamplingParams bounded = params.withMaxNewTokensAtMost(model.contextLength() - ids.length);
        TextSession session = model.newSession();
        boolean[] joined = {false};
        LogitsSource source = new LogitsSource() {
            @Override
            public float[] prefill() {
                float[] logits = model.multimodalPrefill().prefill(session, encoded);
                checkpoint.run();
                if (scheduler != null) {
                    scheduler.join();
                    joined[0] = true;
                }
                return logits;
            }

            @Override
            public float[] next(int tokenId) {
                return scheduler == null ? session.decode(tokenId) : scheduler.step(session, tokenId);
            }
        };
        try {
            GenerationResult result = generator.generate(source, ids, bounded, listener);
            return result.withUsage(result.usage().withMediaTokens(inputs.imageTokens(), inputs.videoTokens())
                    .withCachedTokens(encoded.cachedTokens()));
        } finally {
            if (joined[0]) scheduler.leave();
        }
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.close();
    }
}
