package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.Message;

/** Slots, the bounded queue, 429s, client disconnects and slow clients. */
class AdmissionTest {
    /** A generation that would run for many seconds unless stopped: 30000 tokens, EOS ignored. */
    static final String LONG_STREAM = ServerFixture.greedyBody("Tell me a very long story.", 30_000, true);

    @Test
    void disconnectMidStreamStopsTheGenerationAndFreesItsSlot() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().writeTimeout(ServerFixture.PATIENCE).maxConcurrency(1).queue(0))) {
            Socket socket = f.openStream(LONG_STREAM, 3);
            assertEquals(1, f.metric("qwen2vl4j_requests_running"));
            long tokensBefore = (long) f.metric("qwen2vl4j_completion_tokens_total");
            socket.close();
            assertTrue(f.awaitIdle(), "the slot was not freed after the client went away");
            assertEquals(1, f.metric("qwen2vl4j_requests_cancelled_total"));
            long generated = (long) f.metric("qwen2vl4j_completion_tokens_total") - tokensBefore;
            assertTrue(generated < 30_000, "the generation ran on: " + generated);
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false));
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void fullServerAnswers429WithRetryAfterThenRecovers() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().writeTimeout(ServerFixture.PATIENCE).maxConcurrency(1).queue(0))) {
            Socket busy = f.openStream(LONG_STREAM, 2);
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false));
            ErrorResponsesTest.assertError(r, 429, null);
            assertTrue(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow()) > 0);
            busy.close();
            assertTrue(f.awaitIdle());
            assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false)).statusCode());
        }
    }

    @Test
    void queuedRequestWaitsForTheSlotAndIsThenAnswered() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().writeTimeout(ServerFixture.PATIENCE).maxConcurrency(1).queue(1))) {
            Socket busy = f.openStream(LONG_STREAM, 2);
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                    () -> f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 6, false)));
            assertTrue(ServerFixture.await(() -> f.metric("qwen2vl4j_queue_length") >= 1), "the request never queued");
            assertEquals(1, f.metric("qwen2vl4j_queue_length"));
            ErrorResponsesTest.assertError(f.post("/v1/chat/completions", ServerFixture.greedyBody("Hi", 4, false)), 429, null);
            assertTrue(!queued.isDone());
            busy.close();
            HttpResponse<String> r = queued.get();
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(ServerFixture.expected(List.of(Message.user("Hello")), 6).text(),
                    ServerFixture.json(r.body()).at("/choices/0/message/content").asText());
        }
    }

    /**
     * A client that sends part of its body and stalls is cut off by the body time limit (counted as a 408), not left
     * holding its connection, and other requests are served meanwhile.
     */
    @Test
    void slowBodyIsCutOffAndOthersAreServed() throws Exception {
        String cutOff = "qwen2vl4j_requests_total{endpoint=\"chat_completions\",status=\"408\"}";
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().bodyTimeout(Duration.ofSeconds(1)))) {
            try (Socket slow = new Socket("127.0.0.1", f.server.port())) {
                // far longer than the body limit: a read that times out (the server never cut) fails the test
                slow.setSoTimeout((int) ServerFixture.PATIENCE.toMillis());
                OutputStream out = slow.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"messages\":")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 3, false)).statusCode());
                InputStream in = slow.getInputStream();
                try {
                    while (in.read() >= 0) {
                        // whatever the server says before closing
                    }
                } catch (SocketException reset) {
                    // closed by the server: as good as EOF
                }
            }
            assertTrue(ServerFixture.await(() -> f.count(cutOff) == 1), "the body time limit did not end the request");
            assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 3, false)).statusCode());
        }
    }

    @Test
    void requestTimeLimitEndsTheAnswerWithLength() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().requestTimeout(Duration.ofMillis(500)))) {
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Go on forever.", 30_000, false));
            assertEquals(200, r.statusCode(), r.body());
            var json = ServerFixture.json(r.body());
            assertEquals("length", json.at("/choices/0/finish_reason").asText());
            int tokens = json.at("/usage/completion_tokens").asInt();
            assertTrue(tokens > 0 && tokens < 30_000, "tokens " + tokens);
            assertEquals(json.at("/usage/prompt_tokens").asInt() + tokens, json.at("/usage/total_tokens").asInt());
            String expected = ServerFixture.expected(List.of(Message.user("Go on forever.")), tokens).text();
            assertEquals(expected, json.at("/choices/0/message/content").asText(), "the answer so far");

            HttpResponse<String> s = f.post("/v1/chat/completions", ServerFixture.greedyBody("Go on forever.", 30_000, true));
            assertEquals(200, s.statusCode());
            assertTrue(s.body().contains("\"finish_reason\":\"length\"") && s.body().endsWith("data: [DONE]\n\n"), s.body());

            HttpResponse<String> again = f.post("/v1/chat/completions", ServerFixture.greedyBody("Go on forever.", 30_000, false));
            var cut = ServerFixture.json(again.body());
            assertEquals("length", cut.at("/choices/0/finish_reason").asText());
            assertEquals(cut.at("/usage/prompt_tokens").asInt() - 1, cut.at("/usage/prompt_tokens_details/cached_tokens").asInt(),
                    "an answer cut short still counts its prompt's cached tokens: " + again.body());
            assertTrue(f.awaitIdle());
        }
    }

    @Test
    void wrongOrMissingKeyIs401ForEveryV1Route() throws IOException {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().apiKey("secret"))) {
            ErrorResponsesTest.assertError(f.get("/v1/models"), 401, null);
            ErrorResponsesTest.assertError(f.get("/v1/models", "Authorization", "Bearer wrong"), 401, null);
            ErrorResponsesTest.assertError(f.post("/v1/chat/completions", "{not json", "Authorization", "Basic secret"), 401, null);
            assertEquals(200, f.get("/health").statusCode());
            HttpResponse<String> ok = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 3, false), "Authorization", "Bearer secret");
            assertEquals(200, ok.statusCode(), ok.body());
        }
    }
}
