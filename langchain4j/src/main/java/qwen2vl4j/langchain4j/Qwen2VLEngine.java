package qwen2vl4j.langchain4j;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import qwen2vl4j.MediaLoader;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.generate.Usage;
import qwen2vl4j.PromptCache;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.grounding.Grounding;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.text.ContextLimitException;

/**
 * What the blocking and the streaming chat model share: the model (loaded by the builder, or the application's,
 * shared), the request checks and conversions done before any work, and the generation with its response. Every
 * call has its own KV cache, so one engine serves any number of threads; a call whose messages start as an earlier
 * one's takes that start from the {@link PromptCache} (when the builder kept one).
 */
final class Qwen2VLEngine implements AutoCloseable {
    private final Qwen2VL model;
    private final boolean ownsModel;
    private final String modelName;
    private final Qwen2VLChatRequestParameters defaults;
    private final MessageConverter converter;
    private final PromptCache promptCache;

    Qwen2VLEngine(Qwen2VL model, boolean ownsModel, String modelName, Qwen2VLChatRequestParameters defaults, MessageConverter converter,
                  PromptCache promptCache) {
        this.promptCache = promptCache;
        this.model = model;
        this.ownsModel = ownsModel;
        this.modelName = modelName;
        this.defaults = defaults;
        this.converter = converter;
    }

    /** A request checked and converted, ready to generate. */
    record Prepared(MessageConverter.Converted conversation, SamplingParams params) {}

    Qwen2VL model() {
        return model;
    }

    String modelName() {
        return modelName;
    }

    Qwen2VLChatRequestParameters defaults() {
        return defaults;
    }

    /**
     * Checks {@code request} and converts it, before any model work: unsupported features throw
     * {@link dev.langchain4j.exception.UnsupportedFeatureException}, bad values and unreadable media names
     * {@link InvalidRequestException}.
     */
    Prepared prepare(ChatRequest request) {
        ChatRequestParameters p = defaults.overrideWith(request.parameters());     // already merged by chat(); not by a direct doChat
        RequestParameters.checkSupported(p, modelName);
        RequestParameters.Pixels pixels = RequestParameters.pixels(p);
        SamplingParams params = RequestParameters.sampling(p, model.defaultParams());
        MessageConverter.Converted converted = converter.convert(request.messages(), pixels);
        return new Prepared(converted, params);
    }

    /**
     * Generates the answer; {@code listener} hears every token and may throw to stop the generation at once (the
     * exception propagates). A prompt over the context is refused after tokenizing and preprocessing, before the
     * vision tower and the decoder run.
     *
     * @throws InvalidRequestException for remote media that cannot be fetched, media that cannot be decoded, messages the chat template refuses, or a
     *                                 prompt over the model's context
     */
    ChatResponse generate(Prepared prepared, TokenListener listener) {
        MessageConverter.Converted conversation = converter.fetchRemote(prepared.conversation());
        GenerationResult result;
        try {
            result = model.generate(conversation.messages(), prepared.params(), listener, promptCache);
        } catch (ContextLimitException e) {
            throw new InvalidRequestException("the prompt needs " + e.requested() + " tokens (images and videos included, answer's first token"
                    + " counted) but " + modelName + "'s context holds " + e.limit() + "; shorten the conversation or use a lower image DetailLevel", e);
        } catch (ImageDecodeException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("the messages cannot be rendered with " + modelName + "'s chat template: " + e.getMessage(), e);
        }
        return response(result, conversation.firstImage());
    }

    private ChatResponse response(GenerationResult result, MediaSource firstImage) {
        Usage usage = result.usage();
        Qwen2VLChatResponseMetadata metadata = Qwen2VLChatResponseMetadata.builder()
                .id("qwen2vl4j-" + UUID.randomUUID())
                .modelName(modelName)
                .tokenUsage(new TokenUsage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens()))
                .finishReason(switch (result.finishReason()) {
                    case STOP -> FinishReason.STOP;
                    case LENGTH -> FinishReason.LENGTH;
                })
                .imageTokens(usage.imageTokens())
                .videoTokens(usage.videoTokens())
                .cachedTokens(usage.cachedTokens())
                .boxes(boxes(result, firstImage))
                .build();
        return ChatResponse.builder().aiMessage(AiMessage.from(result.text())).metadata(metadata).build();
    }

    /** The answer's boxes in pixels of the first image (decoded again for its size only when there are boxes). */
    List<Box> boxes(GenerationResult result, MediaSource firstImage) {
        String withSpecialTokens = model.tokenizer().decodeGenerated(result.ids(), false);
        List<Box> normalized = Grounding.parseNormalized(withSpecialTokens);
        if (normalized.isEmpty() || firstImage == null) return normalized;
        RgbImage image = new MediaLoader(new ImageDecoder(model.options().maxImagePixels())).image(firstImage);
        return Grounding.parse(withSpecialTokens, image.width(), image.height());
    }

    /**
     * The name a model folder or repo id goes by: a Hugging Face cache snapshot
     * ({@code .../models--Qwen--Qwen2-VL-2B-Instruct/snapshots/<hash>}) by its repo id, another folder by its name.
     */
    static String nameOf(Path folder) {
        Path abs = folder.toAbsolutePath().normalize();
        for (int i = abs.getNameCount() - 1; i >= 0; i--) {
            String part = abs.getName(i).toString();
            if (part.startsWith("models--")) return part.substring("models--".length()).replace("--", "/");
        }
        Path name = abs.getFileName();
        return name == null ? abs.toString() : name.toString();
    }

    /** Unmaps the weights when the builder loaded them; a model the application gave stays open. */
    @Override
    public void close() {
        if (ownsModel) model.close();
    }
}
