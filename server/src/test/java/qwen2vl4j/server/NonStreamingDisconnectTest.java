package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A non-streaming client that leaves during a long answer stops its generation (heartbeats show the departure). */
class NonStreamingDisconnectTest {
    static Duration grace, interval;

    @BeforeAll
    static void fastHeartbeats() {
        grace = Heartbeat.grace;
        interval = Heartbeat.interval;
        Heartbeat.grace = Duration.ofMillis(200);
        Heartbeat.interval = Duration.ofMillis(50);
    }

    @AfterAll
    static void restore() {
        Heartbeat.grace = grace;
        Heartbeat.interval = interval;
    }

    @Test
    void aClientThatLeavesStopsItsGeneration() throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder())) {
            // a long answer (about 100 s at this model's pace) that the client leaves after its first heartbeat
            byte[] body = ServerFixture.greedyBody("Tell a long story", 30_000, false).getBytes(StandardCharsets.UTF_8);
            long started = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", f.server.port()));
                s.setSoTimeout((int) ServerFixture.PATIENCE.toMillis());
                s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
                assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
            }
            assertTrue(ServerFixture.await(() -> f.metric("qwen2vl4j_requests_cancelled_total") == 1), "generation not cancelled");
            assertTrue(f.awaitIdle());
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(f.metric("qwen2vl4j_completion_tokens_total") < 30_000, "the whole answer was generated");
            assertTrue(seconds < ServerFixture.PATIENCE.toSeconds(), seconds + " s");
            // a short answer keeps its ordinary response, and a long one completes with the heartbeat spaces before it
            var r = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello there", 3, false));
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("{"), r.body());
            var longer = f.post("/v1/chat/completions", ServerFixture.greedyBody("Hello there", 200, false));
            assertEquals(200, longer.statusCode());
            assertEquals(ServerFixture.expected(java.util.List.of(qwen2vl4j.chat.Message.user("Hello there")), 200).text(),
                    ServerFixture.answerText(longer.body().strip()));
        }
    }
}
