package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.Qwen2VL;

/**
 * {@code serve --max-pixels}: the load-time budget is the default of image parts without their own, a part's own
 * {@code max_pixels} wins, {@code /v1/limits} reports it; a streamed answer with a long prompt carries
 * {@code : progress} comments.
 */
class BudgetsAndProgressCommentsTest {
    private static Qwen2VL model;
    private static OpenAiServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        model = Qwen2VL.load(ServerFixture.fixtures().resolve("models/tiny-qwen2vl"), LoadOptions.builder().maxPixels(112 * 112).build());
        server = OpenAiServer.start(model, ServerOptions.builder().host("127.0.0.1").port(0).modelId("tiny").build());
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    private static HttpResponse<String> send(String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(ServerFixture.PATIENCE);
        b = body == null ? b.GET() : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String imageRequest(String partOptions, String text, boolean stream) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + ServerFixture.imageDataUrl("exact_224x224.png") + "\"}" + partOptions + "},{\"type\":\"text\",\"text\":"
                + ServerFixture.quote(text) + "}]}],\"max_tokens\":2,\"temperature\":0,\"stream\":" + stream + "}";
    }

    /** A load-time budget under the model's min_pixels lowers the floor a part's own max_pixels must reach. */
    @Test
    void aSmallLoadTimeBudgetLowersThePartsFloor() throws Exception {
        try (Qwen2VL small = Qwen2VL.load(ServerFixture.fixtures().resolve("models/tiny-qwen2vl"), LoadOptions.builder().maxPixels(1568).build());
             OpenAiServer s = OpenAiServer.start(small, ServerOptions.builder().host("127.0.0.1").port(0).modelId("tiny").build())) {
            URI uri = URI.create("http://127.0.0.1:" + s.port() + "/v1/chat/completions");
            HttpResponse<String> fine = HTTP.send(HttpRequest.newBuilder(uri).timeout(ServerFixture.PATIENCE).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(imageRequest(",\"max_pixels\":2000", "x", false))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, fine.statusCode(), fine.body());
            HttpResponse<String> low = HTTP.send(HttpRequest.newBuilder(uri).timeout(ServerFixture.PATIENCE).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(imageRequest(",\"max_pixels\":1000", "x", false))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, low.statusCode(), low.body());
            assertEquals("messages[0].content[0].max_pixels", ServerFixture.json(low.body()).at("/error/param").asText(), low.body());
            assertTrue(low.body().contains("the default min_pixels (1568)"), low.body());
        }
    }

    @Test
    void loadTimeBudgetIsTheDefaultAndAPartsOwnWins() throws Exception {
        HttpResponse<String> plain = send("/v1/chat/completions", imageRequest("", "x", false));
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals(16, ServerFixture.json(plain.body()).at("/usage/prompt_tokens_details/image_tokens").asInt(), plain.body());
        HttpResponse<String> own = send("/v1/chat/completions", imageRequest(",\"max_pixels\":50176", "x", false));
        assertEquals(200, own.statusCode(), own.body());
        assertEquals(64, ServerFixture.json(own.body()).at("/usage/prompt_tokens_details/image_tokens").asInt(), own.body());
        JsonNode limits = ServerFixture.json(send("/v1/limits", null).body());
        assertEquals(112 * 112, limits.get("max_pixels").asLong());
    }

    @Test
    void longPromptsStreamProgressComments() throws Exception {
        HttpResponse<String> r = send("/v1/chat/completions", imageRequest("", "word ".repeat(700), true));
        assertEquals(200, r.statusCode(), r.body());
        String body = r.body();
        int vision = body.indexOf(": progress vision 0/2 blocks (16 tokens)\n\n");
        int prefill = body.indexOf(": progress prefill 0/");
        // the pieces in between are sent at most once per PROGRESS_NANOS (a fast machine may skip 512/); the end is always sent
        int promptTokens = Integer.parseInt(body.substring(prefill + ": progress prefill 0/".length()).split(" ")[0]);
        assertTrue(promptTokens > 512, "a prompt of more than one piece: " + promptTokens);
        int piece = body.indexOf(": progress prefill " + promptTokens + "/" + promptTokens + " tokens");
        assertTrue(vision > 0 && prefill > vision && piece > prefill, body.substring(0, Math.min(body.length(), 2000)));
        int firstToken = body.indexOf("\"delta\":{\"content\":");
        assertTrue(firstToken > piece, "the first token came before the prefill's progress: " + body);
        ServerFixture.answerText(body);                                      // the stream still parses, [DONE] included
        HttpResponse<String> shortPrompt = send("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"max_tokens\":2,\"stream\":true}");
        assertTrue(!shortPrompt.body().contains(": progress"), "a short text prompt has nothing to report: " + shortPrompt.body());
    }
}
