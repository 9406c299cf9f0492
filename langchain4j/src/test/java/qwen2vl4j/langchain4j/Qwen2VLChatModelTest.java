package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.ImageContent.DetailLevel;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;

/** The blocking chat model answers exactly as the library does for the same messages. */
class Qwen2VLChatModelTest {
    private static final Qwen2VL MODEL = TinyModel.get();
    private static final Qwen2VLChatModel CHAT = Qwen2VLChatModel.builder().model(MODEL).temperature(0.0).maxOutputTokens(12).build();

    static SamplingParams greedy(int maxTokens) {
        return MODEL.defaultParams().toBuilder().greedy(true).temperature(0).maxNewTokens(maxTokens).build();
    }

    @Test
    void plainChatEqualsTheLibrarysGreedyAnswer() {
        ChatResponse r = CHAT.chat(SystemMessage.from("You are terse."), UserMessage.from("Hello, who are you?"));
        GenerationResult expected = MODEL.generate(List.of(Message.system("You are terse."), Message.user("Hello, who are you?")),
                greedy(12), null);
        assertEquals(expected.text(), r.aiMessage().text());
        assertFalse(r.aiMessage().text().isEmpty());
        assertEquals(expected.usage().promptTokens(), r.tokenUsage().inputTokenCount());
        assertEquals(expected.usage().completionTokens(), r.tokenUsage().outputTokenCount());
        assertEquals(expected.usage().totalTokens(), r.tokenUsage().totalTokenCount());
        assertEquals(expected.finishReason() == qwen2vl4j.generate.FinishReason.LENGTH ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        assertEquals("tiny-qwen2vl", r.metadata().modelName());
        assertEquals(CHAT.chat("Hello, who are you?"), MODEL.generate(List.of(Message.user("Hello, who are you?")), greedy(12), null).text());
    }

    /**
     * A chat memory sent again with a new turn takes the previous request's prompt, its image included, from the
     * prompt cache ({@code cachedTokens}), and answers as a model without a cache.
     */
    @Test
    void aConversationSentAgainTakesItsStartFromThePromptCache() {
        Qwen2VLChatModel cached = Qwen2VLChatModel.builder().model(MODEL).temperature(0.0).maxOutputTokens(6).build();
        Qwen2VLChatModel uncached = Qwen2VLChatModel.builder().model(MODEL).temperature(0.0).maxOutputTokens(6).promptCacheBytes(0L).build();
        UserMessage first = UserMessage.from(ImageContent.from(TinyModel.base64(TinyModel.image("small_112x84.png")), "image/png"),
                TextContent.from("What is it?"));
        ChatResponse r1 = cached.chat(first);
        Qwen2VLChatResponseMetadata m1 = (Qwen2VLChatResponseMetadata) r1.metadata();
        assertEquals(0, m1.cachedTokens());
        List<dev.langchain4j.data.message.ChatMessage> history = List.of(first, r1.aiMessage(), UserMessage.from("And its colour?"));
        ChatResponse r2 = cached.chat(history), fresh = uncached.chat(history);
        Qwen2VLChatResponseMetadata m2 = (Qwen2VLChatResponseMetadata) r2.metadata();
        assertEquals(fresh.aiMessage().text(), r2.aiMessage().text());
        assertTrue(m2.cachedTokens() >= r1.tokenUsage().inputTokenCount() - 1, m2.cachedTokens() + " cached of " + r1.tokenUsage().inputTokenCount());
        assertTrue(m2.cachedTokens() > m2.imageTokens(), "the image is among the cached tokens");
        assertEquals(0, ((Qwen2VLChatResponseMetadata) fresh.metadata()).cachedTokens());
        assertEquals(fresh.tokenUsage(), r2.tokenUsage());
    }

    @Test
    void multiTurnHistoryWithAiMessagesEqualsTheLibrary() {
        ChatResponse r = CHAT.chat(UserMessage.from("Hi"), AiMessage.from("Hello there."), UserMessage.from("Tell me more."));
        GenerationResult expected = MODEL.generate(List.of(Message.user("Hi"), Message.assistant("Hello there."), Message.user("Tell me more.")),
                greedy(12), null);
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.usage().promptTokens(), r.tokenUsage().inputTokenCount());
    }

    @Test
    void anImageAsBase64AsAFileUriAndAsAPathGivesTheLibrarysAnswer() {
        Path png = TinyModel.image("exact_224x224.png");
        GenerationResult expected = MODEL.generate(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.FileSource(png), Map.of("max_pixels", PixelBudget.LOW_MAX_PIXELS)),
                new ContentPart.Text("Describe.")))), greedy(12), null);
        for (ImageContent image : List.of(
                ImageContent.from(TinyModel.base64(png), "image/png"),
                ImageContent.from(png.toAbsolutePath().toUri()),
                ImageContent.from(png.toString()))) {
            ChatResponse r = CHAT.chat(UserMessage.from(image, TextContent.from("Describe.")));
            assertEquals(expected.text(), r.aiMessage().text(), image.toString());
            assertEquals(expected.usage().promptTokens(), r.tokenUsage().inputTokenCount(), "prompt tokens include the image's");
            Qwen2VLChatResponseMetadata metadata = assertInstanceOf(Qwen2VLChatResponseMetadata.class, r.metadata());
            assertEquals(64, metadata.imageTokens());
            assertEquals(0, metadata.videoTokens());
        }
    }

    @Test
    void theDetailLevelSetsTheImagesPixelBudget() {
        Path photo = TinyModel.image("photo_800x600.jpg");
        int low = imageTokens(ImageContent.from(photo.toUri(), DetailLevel.LOW));
        int medium = imageTokens(ImageContent.from(photo.toUri(), DetailLevel.MEDIUM));
        int high = imageTokens(ImageContent.from(photo.toUri(), DetailLevel.HIGH));
        int auto = imageTokens(ImageContent.from(photo.toUri(), DetailLevel.AUTO));
        assertTrue(low <= 256 && low > 200, "LOW: " + low);
        assertTrue(medium <= 512 && medium > 400, "MEDIUM: " + medium);
        assertEquals(auto, high, "an 800x600 photo fits HIGH's budget whole, as it fits the model's own");
        assertTrue(high > medium && high <= 1280, "HIGH: " + high);
    }

    @Test
    void requestParametersOverrideTheBuildersPixelBudgetAndSampling() {
        Path photo = TinyModel.image("photo_800x600.jpg");
        ChatResponse r = CHAT.chat(ChatRequest.builder()
                .messages(UserMessage.from(ImageContent.from(photo.toUri(), DetailLevel.HIGH), TextContent.from("Describe.")))
                .parameters(Qwen2VLChatRequestParameters.builder().maxPixels(100 * PixelBudget.PIXELS_PER_TOKEN).maxOutputTokens(3).build())
                .build());
        assertTrue(((Qwen2VLChatResponseMetadata) r.metadata()).imageTokens() <= 100);
        assertEquals(3, r.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, r.finishReason());

        // sampling with a seed repeats itself and follows the library's sampler
        Qwen2VLChatRequestParameters sampled = Qwen2VLChatRequestParameters.builder()
                .temperature(1.0).topK(0).topP(1.0).seed(42L).repetitionPenalty(1.1).build();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Hello")).parameters(sampled).build();
        String first = CHAT.chat(request).aiMessage().text();
        assertEquals(first, CHAT.chat(request).aiMessage().text());
        GenerationResult expected = MODEL.generate(List.of(Message.user("Hello")), MODEL.defaultParams().toBuilder()
                .greedy(false).temperature(1.0).topK(0).topP(1.0).seed(42L).repetitionPenalty(1.1).maxNewTokens(12).build(), null);
        assertEquals(expected.text(), first);
        assertNotEquals(CHAT.chat("Hello"), first, "sampling at temperature 1 differs from greedy");
    }

    @Test
    void stopSequencesAndPenaltiesFollowTheLibrary() {
        String full = CHAT.chat("Count to ten.");
        int middle = full.offsetByCodePoints(0, full.codePointCount(0, full.length()) / 2);
        String stop = full.substring(middle, full.offsetByCodePoints(middle, 2));          // two characters from the middle
        ChatResponse r = CHAT.chat(ChatRequest.builder().messages(UserMessage.from("Count to ten."))
                .parameters(Qwen2VLChatRequestParameters.builder().stopSequences(stop).frequencyPenalty(1.5).presencePenalty(0.5)
                        .repetitionPenalty(1.3).build()).build());
        GenerationResult expected = MODEL.generate(List.of(Message.user("Count to ten.")), greedy(12).toBuilder().stopStrings(stop)
                .frequencyPenalty(1.5).presencePenalty(0.5).repetitionPenalty(1.3).build(), null);
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.usage().completionTokens(), r.tokenUsage().outputTokenCount());
        ChatResponse stopped = CHAT.chat(ChatRequest.builder().messages(UserMessage.from("Count to ten.")).stopSequences(List.of(stop)).build());
        assertEquals(full.substring(0, full.indexOf(stop)), stopped.aiMessage().text(), "the answer ends before the stop sequence");
        assertEquals(FinishReason.STOP, stopped.finishReason());
    }

    @Test
    void aVideoAsAFolderOfFramesGivesTheLibrarysAnswer() {
        Path frames = TinyModel.fixtures().resolve("videos/moving_8x168x224");
        GenerationResult expected = MODEL.generate(List.of(new Message("user", List.of(
                new ContentPart.Video(List.of(new MediaSource.FileSource(frames)), Map.of()),
                new ContentPart.Text("What happens?")))), greedy(12), null);
        ChatResponse r = CHAT.chat(UserMessage.from(VideoContent.from(frames.toUri()), TextContent.from("What happens?")));
        assertEquals(expected.text(), r.aiMessage().text());
        Qwen2VLChatResponseMetadata metadata = (Qwen2VLChatResponseMetadata) r.metadata();
        assertEquals(expected.usage().videoTokens(), metadata.videoTokens());
        assertTrue(metadata.videoTokens() > 0);
        assertEquals(expected.usage().promptTokens(), r.tokenUsage().inputTokenCount());
    }

    @Test
    void listenersHearTheRequestAndTheResponse() {
        List<Object> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        Qwen2VLChatModel chat = Qwen2VLChatModel.builder().model(MODEL).maxOutputTokens(2).listeners(List.of(new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                heard.add(context.chatRequest().parameters());
            }

            @Override
            public void onResponse(ChatModelResponseContext context) {
                heard.add(context.chatResponse().tokenUsage().outputTokenCount());
            }
        })).build();
        chat.chat("Hello");
        assertEquals(2, heard.size(), heard.toString());
        Qwen2VLChatRequestParameters parameters = assertInstanceOf(Qwen2VLChatRequestParameters.class, heard.get(0));
        assertEquals(2, parameters.maxOutputTokens());
        assertEquals(2, heard.get(1));
    }

    private static int imageTokens(ImageContent image) {
        ChatResponse r = CHAT.chat(ChatRequest.builder().messages(UserMessage.from(image, TextContent.from("Describe.")))
                .maxOutputTokens(1).build());
        return ((Qwen2VLChatResponseMetadata) r.metadata()).imageTokens();
    }
}
