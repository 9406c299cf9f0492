package qwen2vl4j.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.Set;
import qwen2vl4j.Qwen2VL;

/**
 * Qwen2-VL as a LangChain4j {@link ChatModel}, in process: no server, no HTTP, images read straight from files or
 * bytes. One instance (and the {@link Qwen2VL} behind it) serves any number of threads; every call has its own KV
 * cache and is independent of the others, so a conversation's history comes with each request (a
 * {@code ChatMemory} keeps it).
 *
 * <pre>{@code
 * ChatModel model = Qwen2VLChatModel.builder()
 *         .model("Qwen/Qwen2-VL-2B-Instruct")
 *         .temperature(0.0)                       // greedy
 *         .maxOutputTokens(256)
 *         .build();
 * ChatResponse r = model.chat(UserMessage.from(
 *         ImageContent.from(Path.of("photo.jpg").toUri(), ImageContent.DetailLevel.HIGH),
 *         TextContent.from("What is in this picture?")));
 * }</pre>
 *
 * <p>Messages: {@code SystemMessage}, {@code UserMessage} with {@code TextContent}, {@code ImageContent} (base64 data,
 * {@code file:} URIs and paths, {@code data:} URIs, {@code http(s)} only with {@code allowRemoteMedia(true)}) and
 * {@code VideoContent} (a folder of frames, an animated GIF; video files need the {@code qwen2vl4j-video} module),
 * and {@code AiMessage} history. An image's {@code DetailLevel} sets its pixel budget ({@link PixelBudget}: LOW, the
 * default, at most 256 visual tokens; HIGH 1,280).
 *
 * <p>Parameters: LangChain4j's temperature (0 = greedy), topP, topK, maxOutputTokens, stopSequences, frequency and
 * presence penalty; Qwen2-VL's own through {@link Qwen2VLChatRequestParameters}. The response carries
 * {@code TokenUsage} (input tokens include the image tokens), the finish reason and, in
 * {@link Qwen2VLChatResponseMetadata}, the grounding boxes of the answer.
 *
 * <p>Refused before any work: tool specifications and tool messages and a JSON response format
 * ({@link dev.langchain4j.exception.UnsupportedFeatureException}); out-of-range parameters, unreadable media and a
 * prompt over the model's context ({@link dev.langchain4j.exception.InvalidRequestException}).
 */
public class Qwen2VLChatModel implements ChatModel, AutoCloseable {
    private final Qwen2VLEngine engine;
    private final List<ChatModelListener> listeners;

    private Qwen2VLChatModel(Builder builder) {
        this.engine = builder.buildEngine();
        this.listeners = builder.listeners();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return engine.generate(engine.prepare(request), null);
    }

    /** The builder's parameters, as a {@link Qwen2VLChatRequestParameters}. */
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return engine.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /** None: no JSON schema response format. */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    /** The model behind this chat model (e.g. to share it with a {@link Qwen2VLStreamingChatModel}). */
    public Qwen2VL model() {
        return engine.model();
    }

    /** The name responses carry. */
    public String modelName() {
        return engine.modelName();
    }

    Qwen2VLEngine engine() {
        return engine;
    }

    /** Unmaps the model's weights when this chat model loaded them; a {@link Qwen2VL} given to the builder stays open. */
    @Override
    public void close() {
        engine.close();
    }

    /** Builds a {@link Qwen2VLChatModel}; see {@link Qwen2VLModelBuilder} for the settings. */
    public static final class Builder extends Qwen2VLModelBuilder<Builder> {
        private Builder() {}

        /**
         * @throws IllegalArgumentException naming a missing, contradictory or out-of-range setting (before loading)
         */
        public Qwen2VLChatModel build() {
            return new Qwen2VLChatModel(this);
        }
    }
}
