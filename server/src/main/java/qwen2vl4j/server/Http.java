package qwen2vl4j.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Small helpers over {@link HttpExchange}: bounded body reading, JSON and error responses. */
final class Http {
    /** Strings as long as a body may be (the size limit bounds them, not Jackson's default of 20 M characters). */
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build()).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Http() {}

    /** Thrown when the client sends its body too slowly; the connection is already closed. */
    static final class SlowClientException extends IOException {
        SlowClientException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Thrown for a body whose framing is broken (a malformed chunk, fewer bytes than Content-Length): a 400. */
    static final class BadFramingException extends IOException {
        BadFramingException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads the request body, at most {@code maxBytes} (413 beyond, checked against Content-Length first) and
     * within {@code timeout} (after which the connection is cut: reading is interrupted). The rest of an oversized
     * body, up to {@link #DRAIN_FACTOR} times the limit, is read and dropped before the 413 is thrown: answering
     * while the client is still sending and then closing with unread bytes resets the connection, and the client
     * would see no answer at all.
     */
    static byte[] readBody(HttpExchange exchange, long maxBytes, Duration timeout, Watchdog watchdog) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(null, "malformed Content-Length header '" + ChatRequestParser.abbreviate(length, 40) + "'");
            }
        }
        // at the limit the 408 is written while the connection is still open (the client has sent what it will send,
        // so closing it after the answer loses nothing), then the blocked read is cut
        Watchdog.Armed limit = watchdog.arm(timeout, () -> {
            try {
                // written and flushed, never closed: closing the response drains the request body, which would block
                // this timer thread on the very client that is too slow
                byte[] bytes = JSON.writeValueAsBytes(requestTimeout("request body not received within " + timeout.toSeconds() + " s").body());
                exchange.getResponseHeaders().set("Connection", "close");
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(408, bytes.length);
                OutputStream out = exchange.getResponseBody();
                out.write(bytes);
                out.flush();
            } catch (IOException | RuntimeException ignored) {
                // the client is gone: the interrupt closes the connection either way
            }
        });
        try (InputStream in = exchange.getRequestBody()) {
            if (declared > maxBytes) {
                drain(in, DRAIN_FACTOR * maxBytes);
                throw tooLarge(maxBytes);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (out.size() + (long) n > maxBytes) {
                    drain(in, DRAIN_FACTOR * maxBytes);
                    throw tooLarge(maxBytes);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            if (limit.fired()) throw new SlowClientException("request body not received within " + timeout.toSeconds() + " s", e);
            if (isFramingError(e)) throw new BadFramingException("malformed request body: " + e.getMessage(), e);
            throw e;
        } finally {
            limit.close();
        }
    }

    /** The JDK server's words for a chunk header it cannot parse or a body cut short of its Content-Length. */
    private static boolean isFramingError(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return m.contains("chunk") || m.contains("before all data received");
    }

    /** How much of an oversized body is read and dropped before the 413, as a multiple of the limit. */
    static final long DRAIN_FACTOR = 4;

    /** Reads and drops at most {@code cap} bytes of what is left; a client gone or too slow ends it quietly. */
    private static void drain(InputStream in, long cap) {
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        try {
            while (total < cap && (n = in.read(buf)) >= 0) total += n;
        } catch (IOException ignored) {
            // the connection gets closed after the answer either way
        }
    }

    static ApiException requestTimeout(String message) {
        return new ApiException(408, "invalid_request_error", "request_timeout", null, message, 0);
    }

    private static ApiException tooLarge(long maxBytes) {
        return ApiException.tooLarge("the request body is larger than the server's limit of " + maxBytes + " bytes");
    }

    /** Parses a JSON body; malformed JSON is a 400 saying where. */
    static JsonNode parseJson(byte[] body) {
        if (body.length == 0) throw ApiException.badRequest(null, "the request body is empty; expected a JSON object");
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "malformed JSON" + qwen2vl4j.io.Json.errorDetail(e));
        } catch (IOException e) {
            throw ApiException.badRequest(null, "malformed JSON: " + e.getMessage());
        }
    }

    static void sendJson(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, bytes);
    }

    static void sendText(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    static void sendError(HttpExchange exchange, ApiException e) throws IOException {
        if (e.retryAfterSeconds() > 0) exchange.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds()));
        if (e.status() == 413) exchange.getResponseHeaders().set("Connection", "close");
        sendJson(exchange, e.status(), e.body());
    }

    /** Sends {@code bytes} with {@code status}; to a HEAD request only the headers, with the body's length. */
    private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
