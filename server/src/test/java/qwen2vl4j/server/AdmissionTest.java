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
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().maxConcurrency(1).queue(0))) {
            Socket socket = f.openStream(LONG_STREAM, 3);
            assertEquals(1, f.metric("qwen2vl4j_requests_running"));
            long tokensBefore = (long) f.metric("qwen2vl4j_completion_tokens_total");
            socket.close();
            assertTrue(f.awaitIdle(5), "the slot was not freed after the client went away");
            assertEquals(1, f.metric("qwen2vl4j_requests_cancelled_total"));
            long generated = (long) f.metric("qwen2vl4j_completion_tokens_total") - tokensBefore;
            assertTrue(generated < 30_000, "the generation ran on: " + generated);
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false));
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void fullServerAnswers429WithRetryAfterThenRecovers() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().maxConcurrency(1).queue(0))) {
            Socket busy = f.openStream(LONG_STREAM, 2);
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false));
            ErrorResponsesTest.assertError(r, 429, null);
            assertTrue(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow()) > 0);
            busy.close();
            assertTrue(f.awaitIdle(5));
            assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 4, false)).statusCode());
        }
    }

    @Test
    void queuedRequestWaitsForTheSlotAndIsThenAnswered() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().maxConcurrency(1).queue(1))) {
            Socket busy = f.openStream(LONG_STREAM, 2);
            CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                    () -> f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 6, false)));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (f.metric("qwen2vl4j_queue_length") < 1 && System.nanoTime() < deadline) Thread.sleep(10);
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

    @Test
    void slowBodyIsCutOffAndOthersAreServed() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().bodyTimeout(Duration.ofSeconds(1)))) {
            try (Socket slow = new Socket("127.0.0.1", f.server.port())) {
                slow.setSoTimeout(10_000);
                OutputStream out = slow.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"messages\":")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 3, false)).statusCode());
                long start = System.nanoTime();
                InputStream in = slow.getInputStream();
                try {
                    while (in.read() >= 0) {
                        // whatever the server says before closing
                    }
                } catch (SocketException reset) {
                    // closed by the server: as good as EOF
                }
                double waited = (System.nanoTime() - start) / 1e9;
                assertTrue(waited < 5, "the slow connection stayed open " + waited + " s");
            }
            assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello", 3, false)).statusCode());
        }
    }

    @Test
    void requestTimeLimitEndsTheAnswerWithLength() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().requestTimeout(Duration.ofMillis(500)))) {
            long start = System.nanoTime();
            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Go on forever.", 30_000, false));
            assertEquals(200, r.statusCode(), r.body());
            var json = ServerFixture.json(r.body());
            assertEquals("length", json.at("/choices/0/finish_reason").asText());
            int tokens = json.at("/usage/completion_tokens").asInt();
            assertTrue(tokens > 0 && tokens < 30_000, "tokens " + tokens);
            assertEquals(json.at("/usage/prompt_tokens").asInt() + tokens, json.at("/usage/total_tokens").asInt());
            String expected = ServerFixture.expected(List.of(Message.user("Go on forever.")), tokens).text();
            assertEquals(expected, json.at("/choices/0/message/content").asText(), "the answer so far");
            assertTrue((System.nanoTime() - start) / 1e9 < 10);

            HttpResponse<String> s = f.post("/v1/chat/completions", ServerFixture.greedyBody("Go on forever.", 30_000, true));
            assertEquals(200, s.statusCode());
            assertTrue(s.body().contains("\"finish_reason\":\"length\"") && s.body().endsWith("data: [DONE]\n\n"), s.body());
            assertTrue(f.awaitIdle(5));
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
