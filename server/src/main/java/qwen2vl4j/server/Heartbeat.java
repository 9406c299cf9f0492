package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;

/**
 * Lets a long non-streaming answer notice a client that left. Nothing is read from a client once its body is in, so
 * its departure shows only as a write error: after {@link #grace} of generation the 200 is committed (chunked JSON)
 * and a space, which JSON allows before the value, is written every {@link #interval}; the first failed write stops
 * the generation like a streaming client's disconnect. Answers shorter than the grace are sent as before, with their
 * own status; an error after the commit can only be the JSON error object in that 200's body.
 */
final class Heartbeat {
    /** Test tuning: how long an answer runs before the first heartbeat, and between heartbeats. */
    static volatile Duration grace = Duration.ofSeconds(10);
    static volatile Duration interval = Duration.ofSeconds(2);

    private final HttpExchange exchange;
    private final Watchdog watchdog;
    private final Duration writeTimeout;
    private final long started = System.nanoTime();
    private final long graceNanos = grace.toNanos();
    private final long intervalNanos = interval.toNanos();
    private long lastBeat;
    private OutputStream out;

    Heartbeat(HttpExchange exchange, Watchdog watchdog, Duration writeTimeout) {
        this.exchange = exchange;
        this.watchdog = watchdog;
        this.writeTimeout = writeTimeout;
    }

    /** Called as tokens arrive (and between stages): beats when due; a client gone ends the generation. */
    void tick() {
        long now = System.nanoTime();
        if (now - started < graceNanos || (out != null && now - lastBeat < intervalNanos)) return;
        try {
            if (out == null) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                out = exchange.getResponseBody();
            }
            write(new byte[] {' '});
            lastBeat = now;
        } catch (IOException e) {
            throw new ChatCompletions.ClientGoneException(e);
        }
    }

    /** Whether the 200 went out (then the answer, or an error object, must follow in its body). */
    boolean committed() {
        return out != null;
    }

    /** Sends the rest of the committed body and ends it. */
    void finish(Object body) throws IOException {
        write(Http.JSON.writeValueAsBytes(body));
        out.close();
    }

    private void write(byte[] bytes) throws IOException {
        try (Watchdog.Armed limit = watchdog.arm(writeTimeout)) {
            out.write(bytes);
            out.flush();
            if (limit.fired()) throw new IOException("not sent within " + writeTimeout.toMillis() + " ms");
        }
    }
}
