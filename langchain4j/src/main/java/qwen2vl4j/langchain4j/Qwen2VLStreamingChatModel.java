package qwen2vl4j.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.generate.TokenListener;

/**
 * Qwen2-VL as a LangChain4j {@link StreamingChatModel}, in process. Messages, parameters, responses and refusals
 * are those of {@link Qwen2VLChatModel}; the streamed text joined is the blocking answer.
 *
 * <p>{@link #chat} checks the request on the calling thread (an unsupported feature, a bad parameter or a medium
 * that cannot be named throws there, before any work) and generates on the builder's {@link Builder#executor executor}
 * (by default a new virtual thread per request), where remote media are downloaded too. The handler hears
 * {@code onPartialResponse} for each decoded piece of text, then {@code onCompleteResponse} once; or {@code onError}
 * once (media that cannot be fetched or decoded, a prompt over the context, a failure).
 *
 * <p>Stopping: when the handler throws from {@code onPartialResponse}, the generation stops at once (no further
 * token is computed) and the handler's {@code onError} receives that exception. When the handler cancels the stream
 * through {@code PartialResponseContext.streamingHandle().cancel()}, the generation stops at once and the handler
 * hears nothing more.
 */
public class Qwen2VLStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private static final ThreadFactory VIRTUAL = Thread.ofVirtual().name("qwen2vl4j-langchain4j-", 0).factory();

    private final Qwen2VLEngine engine;
    private final List<ChatModelListener> listeners;
    private final Executor executor;

    private Qwen2VLStreamingChatModel(Builder builder) {
        this.executor = builder.executor != null ? builder.executor : task -> VIRTUAL.newThread(task).start();
        this.engine = builder.buildEngine();
        this.listeners = builder.listeners();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Qwen2VLEngine.Prepared prepared = engine.prepare(request);
        executor.execute(() -> stream(prepared, handler));
    }

    /** Generates, relaying each piece of text; the handler's exceptions and a cancel stop the generation. */
    private void stream(Qwen2VLEngine.Prepared prepared, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        PartialResponseContext context = new PartialResponseContext(handle);
        TokenListener listener = (id, text) -> {
            if (handle.isCancelled()) throw new Stop(null);
            if (text.isEmpty()) return;
            try {
                handler.onPartialResponse(new PartialResponse(text), context);
            } catch (RuntimeException e) {
                throw new Stop(e);
            }
            if (handle.isCancelled()) throw new Stop(null);
        };
        ChatResponse response;
        try {
            response = engine.generate(prepared, listener);
        } catch (Stop stop) {
            if (stop.handlerError != null) onError(handler, stop.handlerError);
            return;
        } catch (RuntimeException | Error e) {
            onError(handler, e);
            if (e instanceof Error error) throw error;
            return;
        }
        try {
            handler.onCompleteResponse(response);
        } catch (RuntimeException e) {
            onError(handler, e);
        }
    }

    private static void onError(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException ignored) {
            // a handler failing in onError has nobody left to tell
        }
    }

    /** Ends a generation from inside the token listener: the handler threw ({@code handlerError}) or cancelled (null). */
    private static final class Stop extends RuntimeException {
        final RuntimeException handlerError;

        Stop(RuntimeException handlerError) {
            super(handlerError == null ? "stream cancelled" : "handler failed", handlerError, false, false);
            this.handlerError = handlerError;
        }
    }

    /** The cancel switch handed to the handler with each partial response. */
    private static final class Handle implements StreamingHandle {
        private volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
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

    /** The model behind this chat model (e.g. to share it with a {@link Qwen2VLChatModel}). */
    public Qwen2VL model() {
        return engine.model();
    }

    /** The name responses carry. */
    public String modelName() {
        return engine.modelName();
    }

    /** Unmaps the model's weights when this chat model loaded them; a {@link Qwen2VL} given to the builder stays open. */
    @Override
    public void close() {
        engine.close();
    }

    /** Builds a {@link Qwen2VLStreamingChatModel}; see {@link Qwen2VLModelBuilder} for the shared settings. */
    public static final class Builder extends Qwen2VLModelBuilder<Builder> {
        private Executor executor;

        private Builder() {}

        /** Where generations run; by default a new virtual thread per request. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming a missing, contradictory or out-of-range setting (before loading)
         */
        public Qwen2VLStreamingChatModel build() {
            return new Qwen2VLStreamingChatModel(this);
        }
    }
}
