package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;

/**
 * The server's prompt cache: a conversation sent whole with each turn (as OpenAI clients and the chat page send it)
 * runs only what is new, reports the tokens it took from the cache in {@code usage.prompt_tokens_details.cached_tokens},
 * and answers as the library does without a cache.
 */
class PromptCacheRequestTest {
    static final String IMAGE = "small_112x84.png";

    static String firstTurn() {
        return "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + ServerFixture.quote(ServerFixture.imageDataUrl(IMAGE)) + "}},{\"type\":\"text\",\"text\":\"What is it?\"}]}";
    }

    static String body(String... messages) {
        return "{\"messages\":[" + String.join(",", messages) + "],\"temperature\":0,\"max_tokens\":6,\"ignore_eos\":true}";
    }

    static List<Message> library(String answer, String followUp) {
        Message first = new Message("user", List.of(new ContentPart.Image(new MediaSource.BytesSource(ServerFixture.imageBytes(IMAGE), IMAGE),
                java.util.Map.of()), new ContentPart.Text("What is it?")));
        return answer == null ? List.of(first) : List.of(first, Message.assistant(answer), Message.user(followUp));
    }

    @Test
    void aFollowUpTurnRunsOnlyItsNewTokensAndAnswersAsTheLibrary() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder())) {
            HttpResponse<String> r1 = f.post("/v1/chat/completions", body(firstTurn()));
            assertEquals(200, r1.statusCode(), r1.body());
            JsonNode j1 = ServerFixture.json(r1.body());
            String answer = j1.at("/choices/0/message/content").asText();
            int firstPrompt = j1.at("/usage/prompt_tokens").asInt();
            assertEquals(0, j1.at("/usage/prompt_tokens_details/cached_tokens").asInt());
            assertEquals(ServerFixture.expected(library(null, null), 6).text(), answer);

            String second = body(firstTurn(), "{\"role\":\"assistant\",\"content\":" + ServerFixture.quote(answer) + "}",
                    "{\"role\":\"user\",\"content\":\"And its colour?\"}");
            GenerationResult expected = ServerFixture.expected(library(answer, "And its colour?"), 6);
            for (int repeat = 0; repeat < 2; repeat++) {
                HttpResponse<String> r2 = f.post("/v1/chat/completions", second);
                assertEquals(200, r2.statusCode(), r2.body());
                JsonNode j2 = ServerFixture.json(r2.body());
                int cached = j2.at("/usage/prompt_tokens_details/cached_tokens").asInt(), prompt = j2.at("/usage/prompt_tokens").asInt();
                assertEquals(expected.text(), j2.at("/choices/0/message/content").asText(), "turn 2, request " + repeat);
                assertEquals(expected.usage().promptTokens(), prompt);
                if (repeat == 0) {    // the first prompt (its last token may merge with the answer's first one)
                    assertTrue(cached >= firstPrompt - 1 && cached <= firstPrompt, cached + " cached of " + firstPrompt);
                } else {              // the same prompt again: all but its last token
                    assertEquals(prompt - 1, cached);
                }
            }
            String metrics = f.get("/metrics").body();
            assertTrue(metrics.matches("(?s).*\nqwen2vl4j_prompt_cached_tokens_total [1-9][0-9]*\n.*"), metrics);
        }
    }

    @Test
    void withoutACacheNothingIsTakenFromIt() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().promptCacheBytes(0))) {
            for (int repeat = 0; repeat < 2; repeat++) {
                HttpResponse<String> r = f.post("/v1/chat/completions", body(firstTurn()));
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(0, ServerFixture.json(r.body()).at("/usage/prompt_tokens_details/cached_tokens").asInt());
            }
        }
    }
}
