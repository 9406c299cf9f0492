package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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

    /**
     * A write into a pipe nobody reads blocks for ever unless the write limit cuts it; it is never cut before the
     * limit. (The test waits far longer than the limit before calling the cut missing, so a slow machine passes.)
     */
    @Test
    void aClientThatStopsReadingIsCutOff() throws IOException {
        PipedInputStream neverRead = new PipedInputStream(64);
        PipedOutputStream out = new PipedOutputStream(neverRead);
        try (Watchdog w = new Watchdog()) {
            SseStream sse = new SseStream(out, w, Duration.ofMillis(300));
            assertTimeoutPreemptively(ServerFixture.PATIENCE, () -> {
                long start = System.nanoTime();
                assertThrows(IOException.class, () -> sse.send(Map.of("text", "x".repeat(1000))));
                double seconds = (System.nanoTime() - start) / 1e9;
                assertTrue(seconds >= 0.3, "cut after " + seconds + " s, before the limit");
                assertFalse(Thread.currentThread().isInterrupted(), "the watchdog's interrupt must not leak");
            }, "the write was never cut");
        }
    }
}
