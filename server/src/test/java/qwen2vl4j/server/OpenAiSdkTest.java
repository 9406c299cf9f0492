package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;

/** The server driven by the official OpenAI Java SDK: answers equal the library's, streaming as OpenAI streams. */
class OpenAiSdkTest {
    static final String KEY = "sk-test-key";
    static ServerFixture fixture;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = new ServerFixture(ServerOptions.builder().apiKey(KEY).maxConcurrency(2).queue(4));
        client = fixture.client(KEY);
    }

    @AfterAll
    static void stop() {
        client.close();
        fixture.close();
    }

    private static ChatCompletionCreateParams.Builder greedy(int maxTokens) {
        return ChatCompletionCreateParams.builder().model("tiny").temperature(0).maxCompletionTokens(maxTokens)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));
    }

    @Test
    void nonStreamingGreedyAnswerEqualsLibrary() {
        ChatCompletion c = client.chat().completions().create(greedy(12).addUserMessage("Describe a cat.").build());
        GenerationResult expected = ServerFixture.expected(List.of(Message.user("Describe a cat.")), 12);
        assertEquals(expected.text(), c.choices().get(0).message().content().orElse(""));
        assertEquals("length", c.choices().get(0).finishReason().asString());
        assertEquals("tiny", c.model());
        assertEquals(expected.usage().promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals(12, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamingSendsRoleThenDeltasThenFinishThenUsage() {
        ChatCompletionCreateParams params = greedy(10).addUserMessage("Count to three.")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        GenerationResult expected = ServerFixture.expected(List.of(Message.user("Count to three.")), 10);
        assertTrue(chunks.size() >= 4, "chunks: " + chunks.size());
        assertEquals("assistant", chunks.get(0).choices().get(0).delta().role().orElseThrow().asString());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (ChatCompletionChunk chunk : chunks) {
            assertEquals(chunks.get(0).id(), chunk.id());
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                choice.delta().content().ifPresent(text::append);
                if (choice.finishReason().isPresent()) finish = choice.finishReason().get().asString();
            }
        }
        assertEquals(expected.text(), text.toString());
        assertEquals("length", finish);
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        assertEquals(10, last.usage().orElseThrow().completionTokens());
        assertEquals(expected.usage().promptTokens(), last.usage().orElseThrow().promptTokens());
    }

    @Test
    void imageAsDataUrlAnswersAsLibrary() {
        List<ChatCompletionContentPart> parts = List.of(
                ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                        .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(ServerFixture.imageDataUrl("small_112x84.png")).build())
                        .build()),
                ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is in the image?").build()));
        ChatCompletion c = client.chat().completions().create(greedy(8).addUserMessageOfArrayOfContentParts(parts).build());
        byte[] png = ServerFixture.imageBytes("small_112x84.png");
        GenerationResult expected = ServerFixture.expected(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.BytesSource(png, "small_112x84.png")),
                new ContentPart.Text("What is in the image?")))), 8);
        assertEquals(expected.text(), c.choices().get(0).message().content().orElse(""));
        assertEquals(expected.usage().promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals(expected.usage().imageTokens(), imageTokens(c));
        assertTrue(expected.usage().imageTokens() > 0);
    }

    @Test
    void perImageMinPixelsIsHonoured() {
        long minPixels = 200_000;
        List<ChatCompletionContentPart> parts = List.of(
                ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                        .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(ServerFixture.imageDataUrl("small_112x84.png"))
                                .putAdditionalProperty("min_pixels", JsonValue.from(minPixels)).build())
                        .build()),
                ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("Describe.").build()));
        ChatCompletion c = client.chat().completions().create(greedy(6).addUserMessageOfArrayOfContentParts(parts).build());
        byte[] png = ServerFixture.imageBytes("small_112x84.png");
        GenerationResult expected = ServerFixture.expected(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.BytesSource(png, "small_112x84.png"), Map.of("min_pixels", minPixels)),
                new ContentPart.Text("Describe.")))), 6);
        GenerationResult plain = ServerFixture.expected(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.BytesSource(png, "small_112x84.png")), new ContentPart.Text("Describe.")))), 6);
        assertEquals(expected.usage().imageTokens(), imageTokens(c));
        assertTrue(expected.usage().imageTokens() > plain.usage().imageTokens(), "min_pixels enlarges the image");
        assertEquals(expected.text(), c.choices().get(0).message().content().orElse(""));
    }

    @Test
    void stopStringEndsTheAnswer() {
        GenerationResult full = ServerFixture.expected(List.of(Message.user("Say something.")), 12);
        String text = full.text();
        assertTrue(text.length() > 4, text);
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        ChatCompletion c = client.chat().completions().create(greedy(12).addUserMessage("Say something.").stop(stop).build());
        assertEquals(text.substring(0, text.indexOf(stop)), c.choices().get(0).message().content().orElse(""));
        assertEquals("stop", c.choices().get(0).finishReason().asString());
    }

    @Test
    void wrongApiKeyIs401() {
        OpenAIClient wrong = fixture.client("sk-wrong");
        try {
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(greedy(2).addUserMessage("hi").build()));
            assertEquals(401, e.statusCode());
        } finally {
            wrong.close();
        }
        assertEquals(401, fixture.post("/v1/chat/completions", ServerFixture.greedyBody("hi", 2, false)).statusCode());
        assertEquals(200, fixture.get("/v1/models", "Authorization", "Bearer " + KEY).statusCode());
    }

    @Test
    void badParameterIs400WithParam() {
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(greedy(2).addUserMessage("hi").topP(1.5).build()));
        assertEquals(400, e.statusCode());
        assertEquals("top_p", e.param().orElse(null));
        assertEquals("invalid_request_error", e.type().orElse(null));
    }

    @Test
    void modelsListsTheModel() {
        assertEquals("tiny", client.models().list().data().get(0).id());
    }

    private static long imageTokens(ChatCompletion c) {
        JsonValue v = c.usage().orElseThrow().promptTokensDetails().orElseThrow()._additionalProperties().get("image_tokens");
        return ((Number) v.convert(Long.class)).longValue();
    }
}
