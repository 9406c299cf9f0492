package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chat page's files and {@code GET /v1/limits}, over plain HTTP (the browser test drives the page itself). */
class WebPageTest {
    private static ServerFixture server;
    private static ServerFixture keyed;

    @BeforeAll
    static void start() {
        server = new ServerFixture(ServerOptions.builder().maxBodyBytes(3L << 20).maxMediaItems(5));
        keyed = new ServerFixture(ServerOptions.builder().apiKey("sesame"));
    }

    @AfterAll
    static void stop() {
        server.close();
        keyed.close();
    }

    @Test
    void pageAndItsFilesAreServedWithoutAKeyAndWithAStrictPolicy() {
        HttpResponse<String> page = keyed.get("/");
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(page.body().contains("<script src=\"chat.js\""), page.body());
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), csp);
        HttpResponse<String> js = keyed.get("/chat.js");
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
        assertTrue(js.body().contains("v1/chat/completions"));
        assertEquals("text/css; charset=utf-8", keyed.get("/chat.css").headers().firstValue("Content-Type").orElseThrow());
        assertEquals(page.body(), keyed.get("/index.html").body());
    }

    @Test
    void headHasNoBodyAndOtherMethodsAre405() {
        HttpResponse<String> head = server.send(HttpRequest.newBuilder(server.uri("/")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        HttpResponse<String> post = server.post("/", "{}");
        assertEquals(405, post.statusCode());
        assertTrue(post.body().contains("takes GET"), post.body());
        assertEquals(404, server.get("/chat.js.map").statusCode());
    }

    @Test
    void limitsReportTheServerOptionsAndThePreprocessorBudgets() {
        HttpResponse<String> r = server.get("/v1/limits");
        assertEquals(200, r.statusCode());
        JsonNode limits = ServerFixture.json(r.body());
        assertEquals(3L << 20, limits.get("max_body_bytes").asLong());
        assertEquals(5, limits.get("max_media_items").asInt());
        var pre = ServerFixture.model().processor().preprocessor();
        assertEquals(pre.minPixels(), limits.get("min_pixels").asLong());
        assertEquals(pre.maxPixels(), limits.get("max_pixels").asLong());
        assertEquals(784, limits.get("pixels_per_token").asInt());
        assertEquals(InferenceEngine.MAX_IMAGE_PIXELS, limits.get("max_image_pixels").asLong());
        assertEquals(ServerFixture.model().contextLength(), limits.get("context_length").asInt());
    }

    @Test
    void limitsNeedTheKeyWhenTheServerHasOne() {
        assertEquals(401, keyed.get("/v1/limits").statusCode());
        assertEquals(200, keyed.get("/v1/limits", "Authorization", "Bearer sesame").statusCode());
    }
}
