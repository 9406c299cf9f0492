package qwen2vl4j.langchain4j;

import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.time.Duration;
import java.util.List;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.server.MediaFetcher;

/**
 * The settings {@link Qwen2VLChatModel.Builder} and {@link Qwen2VLStreamingChatModel.Builder} share: which model
 * (a shared {@link Qwen2VL}, or a folder / Hugging Face repo id to load with {@link LoadOptions}), the default
 * request parameters, remote media and listeners. Every parameter left unset keeps the model's
 * {@code generation_config.json} value; a request's own parameters override these.
 *
 * @param <B> the concrete builder
 */
public abstract class Qwen2VLModelBuilder<B extends Qwen2VLModelBuilder<B>> {
    /** The largest remote file fetched by default (as the server's {@code --allow-remote-media}). */
    public static final long DEFAULT_MAX_REMOTE_MEDIA_BYTES = 20L << 20;
    /** The longest time one remote file is fetched by default. */
    public static final Duration DEFAULT_REMOTE_MEDIA_TIMEOUT = Duration.ofSeconds(20);

    private String modelId;
    private Qwen2VL model;
    private LoadOptions loadOptions;
    private String modelName;
    private ChatRequestParameters defaultRequestParameters;
    private final Qwen2VLChatRequestParameters.Builder parameters = Qwen2VLChatRequestParameters.builder();
    private boolean allowRemoteMedia;
    private long maxRemoteMediaBytes = DEFAULT_MAX_REMOTE_MEDIA_BYTES;
    private Duration remoteMediaTimeout = DEFAULT_REMOTE_MEDIA_TIMEOUT;
    private List<ChatModelListener> listeners = List.of();
    private long promptCacheBytes = qwen2vl4j.PromptCache.defaultCapacityBytes();

    protected Qwen2VLModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Loads the model folder or Hugging Face repo id (from the local cache, downloaded when absent) at {@link #build}. */
    public B model(String folderOrRepoId) {
        this.modelId = folderOrRepoId;
        return self();
    }

    /** Uses an already loaded model, shared with the rest of the application (closing the chat model leaves it open). */
    public B model(Qwen2VL model) {
        this.model = model;
        return self();
    }

    /** How {@link #model(String)} loads the model (weights format, KV cache, pixel limits, threads). */
    public B loadOptions(LoadOptions loadOptions) {
        this.loadOptions = loadOptions;
        return self();
    }

    /** The name responses carry and requests may give; by default the repo id or the folder's name. */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** Default request parameters; the individual settings of this builder override them. */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaultRequestParameters = parameters;
        return self();
    }

    /** Sampling temperature in [0, 2]; 0 = greedy decoding. */
    public B temperature(Double temperature) {
        parameters.temperature(temperature);
        return self();
    }

    /** Nucleus sampling mass in (0, 1]. */
    public B topP(Double topP) {
        parameters.topP(topP);
        return self();
    }

    /** Keep the k most likely tokens, {@code >= 0} (0 disables). */
    public B topK(Integer topK) {
        parameters.topK(topK);
        return self();
    }

    /** Min-p threshold in [0, 1] (0 disables). */
    public B minP(Double minP) {
        parameters.minP(minP);
        return self();
    }

    /** Most tokens to generate, {@code >= 1} (the core library's default: 512). */
    public B maxOutputTokens(Integer maxOutputTokens) {
        parameters.maxOutputTokens(maxOutputTokens);
        return self();
    }

    /** Texts that end the answer (the answer stops before the first one). */
    public B stopSequences(List<String> stopSequences) {
        parameters.stopSequences(stopSequences);
        return self();
    }

    /** OpenAI's frequency penalty in [-2, 2]. */
    public B frequencyPenalty(Double frequencyPenalty) {
        parameters.frequencyPenalty(frequencyPenalty);
        return self();
    }

    /** OpenAI's presence penalty in [-2, 2]. */
    public B presencePenalty(Double presencePenalty) {
        parameters.presencePenalty(presencePenalty);
        return self();
    }

    /** transformers' repetition penalty, {@code > 0} (1 disables). */
    public B repetitionPenalty(Double repetitionPenalty) {
        parameters.repetitionPenalty(repetitionPenalty);
        return self();
    }

    /** Seed of the sampling random generator, for repeatable sampled answers. */
    public B seed(Long seed) {
        parameters.seed(seed);
        return self();
    }

    /** Fewest pixels an image is resized to, replacing its DetailLevel's bound (see {@link PixelBudget}). */
    public B minPixels(Long minPixels) {
        parameters.minPixels(minPixels);
        return self();
    }

    /** Most pixels an image is resized to, replacing its DetailLevel's bound (see {@link PixelBudget}). */
    public B maxPixels(Long maxPixels) {
        parameters.maxPixels(maxPixels);
        return self();
    }

    /**
     * Whether images and videos may be {@code http(s)} URLs, fetched with the server's rules: public addresses only
     * (never loopback, private or link-local), no redirects, at most {@link #maxRemoteMediaBytes} within
     * {@link #remoteMediaTimeout}. Off by default: such URLs are refused.
     */
    public B allowRemoteMedia(Boolean allow) {
        this.allowRemoteMedia = allow != null && allow;
        return self();
    }

    /** The largest remote file (default {@link #DEFAULT_MAX_REMOTE_MEDIA_BYTES}). */
    public B maxRemoteMediaBytes(Long bytes) {
        this.maxRemoteMediaBytes = bytes == null ? DEFAULT_MAX_REMOTE_MEDIA_BYTES : bytes;
        return self();
    }

    /** The longest time to fetch one remote file (default {@link #DEFAULT_REMOTE_MEDIA_TIMEOUT}). */
    public B remoteMediaTimeout(Duration timeout) {
        this.remoteMediaTimeout = timeout == null ? DEFAULT_REMOTE_MEDIA_TIMEOUT : timeout;
        return self();
    }

    /**
     * Memory for the keys and values of prompts already run (default
     * {@link qwen2vl4j.PromptCache#defaultCapacityBytes()}: 1 GiB, at most an eighth of the heap; 0 keeps none):
     * a request whose messages start as an earlier one's (a chat memory sent again with a new turn, its images
     * included) runs only what follows. The answers are the same ({@link qwen2vl4j.PromptCache}).
     */
    public B promptCacheBytes(Long bytes) {
        long value = bytes == null ? qwen2vl4j.PromptCache.defaultCapacityBytes() : bytes;
        if (value < 0) throw new IllegalArgumentException("promptCacheBytes must be >= 0 (0 keeps none), found " + value);
        this.promptCacheBytes = value;
        return self();
    }

    /** Listeners told about every request, response and error. */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * Checks the settings (before loading anything), then loads the model unless one was given.
     *
     * @throws IllegalArgumentException naming the setting that is missing, contradictory or out of range
     */
    Qwen2VLEngine buildEngine() {
        if ((modelId == null) == (model == null)) {
            throw new IllegalArgumentException(modelId == null
                    ? "no model: call model(String folderOrRepoId) or model(Qwen2VL)"
                    : "both model(String) and model(Qwen2VL) were called; give one");
        }
        if (model != null && loadOptions != null) {
            throw new IllegalArgumentException("loadOptions apply only to model(String folderOrRepoId); the given Qwen2VL was loaded with "
                    + model.options());
        }
        if (maxRemoteMediaBytes < 1) throw new IllegalArgumentException("maxRemoteMediaBytes must be >= 1, found " + maxRemoteMediaBytes);
        if (remoteMediaTimeout.isNegative() || remoteMediaTimeout.isZero()) {
            throw new IllegalArgumentException("remoteMediaTimeout must be positive, found " + remoteMediaTimeout);
        }
        Qwen2VLChatRequestParameters defaults = Qwen2VLChatRequestParameters.builder()
                .overrideWith(defaultRequestParameters).overrideWith(parameters.build()).build();
        String name = modelName != null ? modelName : modelId != null ? modelId : Qwen2VLEngine.nameOf(model.folder());
        try {
            RequestParameters.checkSupported(defaults, name);
            RequestParameters.pixels(defaults);
            RequestParameters.sampling(defaults, SamplingParams.GREEDY);
        } catch (LangChain4jException e) {
            throw new IllegalArgumentException("default request parameters: " + e.getMessage(), e);
        }
        MessageConverter converter = new MessageConverter(
                allowRemoteMedia ? new MediaFetcher(true, maxRemoteMediaBytes, remoteMediaTimeout) : null, allowRemoteMedia);
        Qwen2VL loaded = model != null ? model : Qwen2VL.load(modelId, loadOptions != null ? loadOptions : LoadOptions.defaults());
        return new Qwen2VLEngine(loaded, model == null, name, defaults, converter,
                promptCacheBytes > 0 ? new qwen2vl4j.PromptCache(promptCacheBytes) : null);
    }
}
