package qwen2vl4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.Message;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.GenerationConfig;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.LogitsSource;
import qwen2vl4j.generate.Generator;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.TextDecoder;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.Weights;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.text.ContextLimitException;
import qwen2vl4j.text.KvCacheType;
import qwen2vl4j.text.RopeIndex;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;
import qwen2vl4j.tokenizer.StreamDecoder;
import qwen2vl4j.tokenizer.Tokenizer;
import qwen2vl4j.vision.VisionTransformer;

/**
 * Qwen2-VL-2B-Instruct, loaded once and shared: the public entry point of the library.
 *
 * <pre>{@code
 * try (Qwen2VL model = Qwen2VL.load("Qwen/Qwen2-VL-2B-Instruct")) {
 *     var messages = List.of(new Message("user", List.of(
 *             new ContentPart.Image(new MediaSource.FileSource(Path.of("photo.jpg"))),
 *             new ContentPart.Text("Describe this image."))));
 *     GenerationResult r = model.generate(messages, model.defaultParams(), (id, text) -> System.out.print(text));
 * }
 * }</pre>
 *
 * <p>The model is immutable after loading; every {@link #generate} call and every {@link Conversation}
 * has its own KV cache, so any number of threads may use one model at once.
 */
public final class Qwen2VL implements AutoCloseable {
    private final Path folder;
    private final ModelConfig config;
    private final GenerationConfig generationConfig;
    private final Tokenizer tokenizer;
    private final Qwen2VLProcessor processor;
    private final Weights weights;
    private final VisionTransformer vision;
    private final TextModel text;
    private final MultimodalPrefill multimodal;
    private final KvCacheType kvCacheType;
    private final double loadMillis;
    private final LoadOptions options;
    private final ComputeBackends.Choice compute;

    private Qwen2VL(Path folder, ModelConfig config, GenerationConfig generationConfig, Tokenizer tokenizer,
                    Qwen2VLProcessor processor, Weights weights, VisionTransformer vision, TextModel text,
                    LoadOptions options, ComputeBackends.Choice compute, double loadMillis) {
        this.folder = folder;
        this.compute = compute;
        this.config = config;
        this.generationConfig = generationConfig;
        this.tokenizer = tokenizer;
        this.processor = processor;
        this.weights = weights;
        this.vision = vision;
        this.text = text;
        this.multimodal = new MultimodalPrefill(vision, RopeIndex.of(config));
        this.kvCacheType = options.kvCache();
        this.options = options;
        this.loadMillis = loadMillis;
    }

    /**
     * Loads a model folder, or a Hugging Face repo id (from the local Hugging Face cache, downloaded into it
     * first when absent unless {@code HF_HUB_OFFLINE} is set), with {@link LoadOptions#defaults()}.
     */
    public static Qwen2VL load(String modelOrRepoId) {
        return load(modelOrRepoId, LoadOptions.defaults());
    }

    /** Loads a model folder or a Hugging Face repo id (as {@link #load(String)}) with {@code options}. */
    public static Qwen2VL load(String modelOrRepoId, LoadOptions options) {
        return load(ModelResolver.resolveOrDownload(modelOrRepoId), options);
    }

    /**
     * Loads a model folder with {@code options}. Weights are memory-mapped, not copied; with a quantized
     * {@link LoadOptions#weights() format} every linear weight of the text decoder and the vision tower whose
     * rows are whole blocks of 32 is quantized at load time into native memory that {@link #close} frees, and its
     * mapped bf16 pages are released once quantized (norms, biases, the Conv3d patch embedding and an untied token
     * embedding stay as stored). Nothing stays open when this throws.
     */
    public static Qwen2VL load(Path folder, LoadOptions options) {
        Objects.requireNonNull(options, "options");
        if (options.threads() > 0) ComputePool.setThreads(options.threads());
        long start = System.nanoTime();
        ModelConfig config = ModelConfig.load(folder);
        GenerationConfig generation = GenerationConfig.load(folder, config.eosTokenIds());
        Tokenizer tokenizer = Tokenizer.load(folder);
        ChatTemplate template = ChatTemplate.load(folder);
        PreprocessorConfig preprocessor = PreprocessorConfig.load(folder);
        if (preprocessor.patchSize() != config.vision().patchSize() || preprocessor.mergeSize() != config.vision().spatialMergeSize()
                || preprocessor.temporalPatchSize() != config.vision().temporalPatchSize()) {
            throw new ModelLoadException("preprocessor_config.json in " + folder + " (patch " + preprocessor.patchSize() + ", merge "
                    + preprocessor.mergeSize() + ", temporal " + preprocessor.temporalPatchSize() + ") disagrees with config.json's vision_config");
        }
        ComputeBackends.Choice compute = ComputeBackends.choose(options.backend(), options.precision());
        if (compute.notice() != null) ComputeNotices.sayOnce(compute.notice());
        Weights weights = Weights.open(folder, compute.backend());
        try {
            CheckpointLayout.verify(weights, config);
            weights = CheckpointQuantizer.quantizeAtLoad(weights, config, options.weights());
            VisionTransformer vision = VisionTransformer.load(weights, config.vision());
            TextModel text = TextModel.load(weights, config);
            Qwen2VLProcessor processor = new Qwen2VLProcessor(config, tokenizer, template, preprocessor, new ImageDecoder(options.maxImagePixels()))
                    .withImageDefaults(options.minPixels(), options.maxPixels())
                    .withVideoDefaults(options.videoMaxPixels(), options.fps(), options.maxFrames());
            return new Qwen2VL(folder, config, generation, tokenizer, processor, weights, vision, text, options, compute, (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** Sampling parameters from the model's generation_config.json. */
    public SamplingParams defaultParams() {
        return SamplingParams.from(generationConfig);
    }

    /**
     * Answers {@code messages} (the last one usually from the user) with a fresh KV cache.
     *
     * @param listener told each token with its UTF-8-safe text as it is produced; may be null
     * @throws ContextLimitException    when the prompt does not fit the context (checked before the vision tower runs)
     * @throws qwen2vl4j.preprocess.MediaInputException naming the image or video part that cannot be read, or whose
     *                                  options or size do not fit
     * @throws IllegalArgumentException for messages the chat template refuses
     */
    public GenerationResult generate(List<Message> messages, SamplingParams params, TokenListener listener) {
        return generate(messages, params, listener, null);
    }

    /**
     * {@link #generate(List, SamplingParams, TokenListener)} through a {@link PromptCache} (null: none), for callers
     * that send a whole conversation with each turn: the start of the prompt that the cache holds (the previous
     * turn's prompt, its images included) is not run again, and the prompt joins the cache. The answer is the same;
     * the result's usage counts the tokens taken from the cache.
     */
    public GenerationResult generate(List<Message> messages, SamplingParams params, TokenListener listener, PromptCache cache) {
        long start = System.nanoTime();
        ModelInputs inputs = processor.process(messages, true, false);
        double preprocessMillis = (System.nanoTime() - start) / 1e6;
        return answer(newSession(), inputs, inputs.ids(), params, listener, loadMillis, preprocessMillis, cache);
    }

    /**
     * Answers a prompt already prepared by {@link #processor()} (for callers that keep the inputs, e.g. for their
     * image sizes, which scale {@link ModelInputs#boxes grounding boxes}) with a fresh KV cache. The result's
     * preprocessing time is 0: the caller did that stage.
     *
     * @throws ContextLimitException when the prompt does not fit the context (checked before the vision tower runs)
     */
    public GenerationResult generate(ModelInputs inputs, SamplingParams params, TokenListener listener) {
        return answer(newSession(), inputs, inputs.ids(), params, listener, loadMillis, 0, null);
    }

    /**
     * One answer after what {@code session} holds: {@code inputs} through {@link MultimodalPrefill}, then decode
     * steps until a stop condition or the end of the context; {@code history} (the ids the session holds plus
     * {@code inputs}' ids) is what the repetition penalty sees. An empty session may take the prompt's start from
     * {@code cache} (null: none). The result carries the media and cached token counts and the load, preprocessing
     * (both given) and vision stages.
     */
    GenerationResult answer(TextSession session, ModelInputs inputs, int[] history, SamplingParams params, TokenListener listener,
                            double loadMillis, double preprocessMillis, PromptCache cache) {
        int limit = contextLength();
        long needed = (long) session.length() + inputs.ids().length;
        if (needed >= limit) throw new ContextLimitException(limit, needed + 1);
        long start = System.nanoTime();
        MultimodalPrefill.Encoded encoded = multimodal.encode(inputs, session.length() == 0 ? cache : null);
        double visionMillis = (System.nanoTime() - start) / 1e6;
        LogitsSource source = new LogitsSource() {
            @Override
            public float[] prefill() {
                return multimodal.prefill(session, encoded);
            }

            @Override
            public float[] next(int tokenId) {
                return session.decode(tokenId);
            }
        };
        SamplingParams bounded = params.withMaxNewTokensAtMost(Math.toIntExact(limit - needed));
        GenerationResult result = generator().generate(source, history, bounded, listener);
        return result
                .withUsage(result.usage().withMediaTokens(inputs.imageTokens(), inputs.videoTokens()).withCachedTokens(encoded.cachedTokens()))
                .withTimings(result.timings().withStages(loadMillis, preprocessMillis, visionMillis));
    }

    /** A multi-turn conversation that keeps its KV cache between turns (no re-prefill of the history). */
    public Conversation newConversation() {
        return new Conversation(this);
    }

    // ------------------------------------------------------------------ the steps of a generation (Conversation, the server)

    /**
     * Runs {@code inputs} (images, videos and text) through the model after what {@code session} holds: the vision
     * tower, the embeddings, the positions and the decoder ({@link MultimodalPrefill}). Then {@link TextSession#decode}
     * (or {@link qwen2vl4j.text.BatchDecoder}) continues.
     *
     * @return the logits of the last prompt token {@code [vocab]}
     */
    public float[] prefill(TextSession session, ModelInputs inputs) {
        return multimodal.prefill(session, inputs);
    }

    /** The multimodal step in its two stages (vision tower, then decoder), for callers that time them apart. */
    public MultimodalPrefill multimodalPrefill() {
        return multimodal;
    }

    /**
     * The generation loop with a streaming detokenizer; ids past the tokenizer's vocabulary (the model's padded
     * embedding rows) add no text, as in Hugging Face's decode.
     */
    public Generator generator() {
        return new Generator(() -> {
            StreamDecoder d = tokenizer.streamDecoder(true);
            return TextDecoder.of(id -> tokenizer.token(id) == null ? "" : d.accept(id), d::flush);
        });
    }

    /** A fresh text session with this model's KV cache type (for callers that drive the decoder themselves). */
    public TextSession newSession() {
        return text.newSession(kvCacheType);
    }

    /** The options this model was loaded with. */
    public LoadOptions options() {
        return options;
    }

    /**
     * What computes the matrix products: the backend and precision in use (which may differ from those asked for in
     * {@link #options()}, with the notice that said why) and the implementation that ran.
     */
    public ComputeInfo compute() {
        return new ComputeInfo(compute.backend().name(), compute.backend().precision().label(), compute.backend().implementation(),
                compute.notice());
    }

    /** How sessions of this model store their KV cache. */
    public KvCacheType kvCacheType() {
        return kvCacheType;
    }

    public Qwen2VLProcessor processor() {
        return processor;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return config;
    }

    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    public VisionTransformer vision() {
        return vision;
    }

    public TextModel text() {
        return text;
    }

    public Path folder() {
        return folder;
    }

    /** Context length: the most tokens (prompt and answer) one session can hold. */
    public int contextLength() {
        return config.text().maxPositionEmbeddings();
    }

    public double loadMillis() {
        return loadMillis;
    }

    /** Unmaps the weights; the model must not be used afterwards. */
    @Override
    public void close() {
        weights.close();
    }
}
