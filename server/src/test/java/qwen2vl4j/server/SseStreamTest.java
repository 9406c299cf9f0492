package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Event framing, and the write limit that cuts off a client that stopped reading. */
class SseStreamTest {
    @Test
    void eventsAreDataLinesEndedByDone() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Watchdog w = new Watchdog()) {
            SseStream sse = new SseStream(out, w, Duration.ofSeconds(5));
            sse.send(Map.of("a", 1));
            sse.done();
        }
        assertEquals("data: {\"a\":1}\n\ndata: [DONE]\n\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aClientThatStopsReadingIsCutOff() throws IOException {
        PipedInputStream neverRead = new PipedInputStream(64);
        PipedOutputStream out = new PipedOutputStream(neverRead);
        try (Watchdog w = new Watchdog()) {
            SseStream sse = new SseStream(out, w, Duration.ofMillis(300));
            long start = System.nanoTime();
            assertThrows(IOException.class, () -> sse.send(Map.of("text", "x".repeat(1000))));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds >= 0.25 && seconds < 5, "cut after " + seconds + " s");
            assertFalse(Thread.currentThread().isInterrupted(), "the watchdog's interrupt must not leak");
        }
    }
}
