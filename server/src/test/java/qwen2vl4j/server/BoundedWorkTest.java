package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.Message;

/**
 * Bounded work before work: per-part pixel budgets are refused past the processor's limits, and the visual tokens of a
 * whole request are counted from the image headers and checked before any pixel is decoded; whatever fails, the
 * client gets an answer.
 */
class BoundedWorkTest {
    static ServerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new ServerFixture(ServerOptions.builder().maxMediaItems(16).maxVisualTokens(1000));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @AfterEach
    void stillServing() {
        fixture.server.beforeRoute(e -> { });
        HttpResponse<String> r = fixture.post("/v1/chat/completions", ServerFixture.greedyBody("Hello there", 3, false));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(ServerFixture.expected(List.of(Message.user("Hello there")), 3).text(), ServerFixture.answerText(r.body()));
    }

    static String imagePart(String url, String options) {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}" + options + "}";
    }

    static String body(String... parts) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":[" + String.join(",", parts) + ",{\"type\":\"text\",\"text\":\"hi\"}]}],"
                + "\"max_tokens\":2}";
    }

    static HttpResponse<String> chat(String body) {
        return fixture.post("/v1/chat/completions", body);
    }

    @Test
    void minPixelsBeyondTheProcessorsLimitIs400NamingTheFieldAndRange() {
        String png = ServerFixture.imageDataUrl("tiny_20x30.png");
        for (String v : List.of("4000000000", "4e8", "12845057")) {
            JsonNode e = ErrorResponsesTest.assertError(chat(body(imagePart(png, ",\"min_pixels\":" + v))), 400,
                    "messages[0].content[0].min_pixels");
            assertTrue(e.get("message").asText().contains("[1, 12845056]"), e.toString());
        }
        String video = "{\"type\":\"video\",\"video\":[\"" + png + "\",\"" + png + "\"],\"min_pixels\":4000000000}";
        ErrorResponsesTest.assertError(chat(body(video)), 400, "messages[0].content[0].min_pixels");
        String inner = "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + png + "\",\"min_pixels\":4000000000}}";
        ErrorResponsesTest.assertError(chat(body(inner)), 400, "messages[0].content[0].image_url.min_pixels");
    }

    @Test
    void hugeResizedSizeIs400NamingTheField() {
        String png = ServerFixture.imageDataUrl("tiny_20x30.png");
        JsonNode e = ErrorResponsesTest.assertError(chat(body(imagePart(png, ",\"resized_height\":1099511627776,\"resized_width\":28"))), 400,
                "messages[0].content[0].resized_height");
        assertTrue(e.get("message").asText().contains("1099511627776"), e.toString());
    }

    /**
     * Sixteen images at the model's own largest min_pixels (16,384 tokens each) are refused from their headers: the
     * images here have valid headers and corrupt pixel data, so an error about the data would mean they were decoded.
     */
    @Test
    void visualTokensOfTheWholeRequestAreCheckedBeforeDecoding() {
        byte[] png = ServerFixture.imageBytes("tiny_20x30.png");
        String broken = "data:image/png;base64," + Base64.getEncoder().encodeToString(Arrays.copyOf(png, 60));
        String[] parts = new String[16];
        Arrays.fill(parts, imagePart(broken, ",\"min_pixels\":12845056"));
        long started = System.nanoTime();
        JsonNode e = ErrorResponsesTest.assertError(chat(body(parts)), 400, "messages");
        assertEquals("too_many_visual_tokens", e.get("code").asText(), e.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("make (\\d+) visual tokens").matcher(e.get("message").asText());
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 16 * 16000, e.toString());
        assertTrue(System.nanoTime() - started < 20e9, "took " + (System.nanoTime() - started) / 1e9 + " s");
    }

    @Test
    void visualTokenLimitOfTheServerCountsEveryImage() {
        String png = ServerFixture.imageDataUrl("exact_224x224.png");   // 64 tokens each
        HttpResponse<String> ok = chat(body(imagePart(png, "")));
        assertEquals(200, ok.statusCode(), ok.body());
        String[] parts = new String[16];                                    // 1024 > 1000
        Arrays.fill(parts, imagePart(png, ""));
        JsonNode e = ErrorResponsesTest.assertError(chat(body(parts)), 400, "messages");
        assertEquals("too_many_visual_tokens", e.get("code").asText(), e.toString());
        assertTrue(e.get("message").asText().contains("1024 visual tokens"), e.toString());
    }

    @Test
    void anyThrowableIsAnswered500WithARequestId() {
        for (Throwable t : List.of(new OutOfMemoryError("Java heap space"), new NegativeArraySizeException("-877671408"),
                new StackOverflowError(), new AssertionError("bug"))) {
            fixture.server.beforeRoute(e -> {
                if (e.getRequestURI().getPath().equals("/v1/chat/completions")) sneakyThrow(t);
            });
            HttpResponse<String> r = chat(ServerFixture.greedyBody("hi", 2, false));
            JsonNode e = ErrorResponsesTest.assertError(r, 500, null);
            String id = r.headers().firstValue("X-Request-Id").orElseThrow();
            assertTrue(id.startsWith("req_") && e.get("message").asText().contains(id), r.body());
            assertTrue(!r.body().contains("877671408") && !r.body().contains("heap"), "internal details leak: " + r.body());
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
