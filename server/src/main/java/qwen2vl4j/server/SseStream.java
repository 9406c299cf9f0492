package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A Server-Sent Events response (chunked): each {@link #send} writes one {@code data: JSON} event and flushes
 * it, so a client that went away shows as an {@link IOException} on the next event. Each event must be sent
 * within the write timeout: a client that stops reading is cut off instead of holding its slot.
 */
final class SseStream {
    private final OutputStream out;
    private final Watchdog watchdog;
    private final Duration writeTimeout;

    SseStream(OutputStream out, Watchdog watchdog, Duration writeTimeout) {
        this.out = out;
        this.watchdog = watchdog;
        this.writeTimeout = writeTimeout;
    }

    /** Sends the 200 headers of an event stream. */
    static SseStream open(HttpExchange exchange, Watchdog watchdog, Duration writeTimeout) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        return new SseStream(exchange.getResponseBody(), watchdog, writeTimeout);
    }

    void send(Object event) throws IOException {
        write("data: " + Http.JSON.writeValueAsString(event) + "\n\n");
    }

    /**
     * A comment line ({@code : text}), which SSE clients ignore: progress while a long prefill runs, and a sign of
     * life to proxies. {@code text} must be one line.
     */
    void comment(String text) throws IOException {
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) throw new IllegalArgumentException("an SSE comment is one line: " + text);
        write(": " + text + "\n\n");
    }

    /** The terminating {@code data: [DONE]} event; closes the stream. */
    void done() throws IOException {
        write("data: [DONE]\n\n");
        out.close();
    }

    private void write(String s) throws IOException {
        try (Watchdog.Armed limit = watchdog.arm(writeTimeout)) {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (limit.fired()) throw new IOException("event not sent within " + writeTimeout.toMillis() + " ms");
        }
    }
}
