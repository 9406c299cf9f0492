package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer answers malformed, oversized and slow requests (never a silent close where an answer is possible),
 * bounds what it echoes, and keeps browsers from being turned against it (Host, Content-Type, CORS).
 */
class HttpHardeningTest {
    static ServerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new ServerFixture(ServerOptions.builder().bodyTimeout(Duration.ofSeconds(1)).headerTimeout(Duration.ofSeconds(1))
                .corsOrigins(List.of("https://app.example")).allowedHosts(List.of("proxy.example")));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @AfterEach
    void stillServing() {
        assertEquals(200, fixture.post("/v1/chat/completions", ServerFixture.greedyBody("hi", 2, false)).statusCode());
    }

    /** Sends {@code request} on a fresh connection and returns everything the server answers until it closes. */
    static String raw(byte[] request, boolean halfClose) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", fixture.server.port()));
            s.setSoTimeout((int) ServerFixture.PATIENCE.toMillis());
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            if (halfClose) s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    if (complete(out.toString(StandardCharsets.ISO_8859_1))) break;
                }
            } catch (SocketException reset) {
                // what the server sent before a reset still counts
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** A whole response with a Content-Length has arrived. */
    private static boolean complete(String r) {
        int end = r.indexOf("\r\n\r\n");
        if (end < 0) return false;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(r.substring(0, end));
        return m.find() && r.length() - end - 4 >= Integer.parseInt(m.group(1));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static void assertStatus(String response, int status, String code) {
        assertTrue(response.startsWith("HTTP/1.1 " + status), response.length() > 500 ? response.substring(0, 500) : response);
        if (code != null) assertTrue(response.contains("\"code\":\"" + code + "\""), response);
    }

    @Test
    void fiveThousandHeadersAre431() throws IOException {
        StringBuilder head = new StringBuilder("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (int i = 0; i < 5000; i++) head.append("X-H").append(i).append(": v\r\n");
        assertStatus(raw(ascii(head + "\r\n"), false), 431, "request_header_fields_too_large");
    }

    @Test
    void oneMegabyteHeaderIs431() throws IOException {
        String head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "a".repeat(1 << 20) + "\r\n\r\n";
        assertStatus(raw(ascii(head), false), 431, "request_header_fields_too_large");
    }

    @Test
    void headersSentTooSlowlyAreCutOff() throws IOException {
        long started = System.nanoTime();
        String r = raw(ascii("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "), false);
        double seconds = (System.nanoTime() - started) / 1e9;
        assertTrue(r.isEmpty(), r);
        assertTrue(seconds < 30, "the connection stayed open " + seconds + " s with a 1 s header limit");
    }

    /** An early answer (here 421) to a client that then stalls its body: the leftover body is not awaited forever. */
    @Test
    void anEarlyAnswerDoesNotWaitForeverForTheRestOfTheBody() throws IOException {
        try (Socket s = new Socket("127.0.0.1", fixture.server.port())) {
            s.setSoTimeout((int) ServerFixture.PATIENCE.toMillis());
            s.getOutputStream().write(ascii("POST /v1/chat/completions HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"messages\":"));
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                for (int c; (c = s.getInputStream().read()) >= 0; ) got.write(c);   // a read timeout here fails the test
            } catch (SocketException reset) {
                // closed: as good as EOF
            }
            assertStatus(got.toString(StandardCharsets.UTF_8), 421, "host_not_allowed");
        }
    }

    @Test
    void badChunkSizeIs400() throws IOException {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
        assertStatus(raw(ascii(head), false), 400, null);
    }

    @Test
    void contentLengthLargerThanTheBodyIs408WhileWaitingAnd400WhenTheClientStopsSending() throws IOException {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{}";
        assertStatus(raw(ascii(head), false), 408, "request_timeout");
        assertStatus(raw(ascii(head), true), 400, null);
    }

    @Test
    void errorMessagesAreBoundedAndHugeTargetsAre414() throws IOException {
        String r = raw(ascii("GET /x" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), false);
        assertStatus(r, 404, "not_found");
        assertTrue(r.length() < 1500, "404 of " + r.length() + " bytes");
        r = raw(ascii("GET /x" + "a".repeat(200_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), false);
        assertStatus(r, 414, "uri_too_long");
        assertTrue(r.length() < 1500, "414 of " + r.length() + " bytes");
    }

    static String withHost(String method, String path, String host) throws IOException {
        String body = method.equals("POST") ? ServerFixture.greedyBody("hi", 2, false) : "";
        return raw(ascii(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body), false);
    }

    @Test
    void hostMustNameThisServer() throws IOException {
        assertStatus(withHost("GET", "/v1/models", "evil.example"), 421, "host_not_allowed");
        assertStatus(withHost("POST", "/v1/chat/completions", "rebind.attacker.test:8080"), 421, "host_not_allowed");
        for (String ok : List.of("localhost:1234", "127.0.0.1", "[::1]:80", "proxy.example", "PROXY.example:443", "10.1.2.3:8080")) {
            assertStatus(withHost("GET", "/v1/models", ok), 200, null);
        }
        assertStatus(withHost("POST", "/v1/chat/completions", "localhost"), 200, null);
    }

    @Test
    void postBodiesMustBeJson() throws Exception {
        String body = ServerFixture.greedyBody("hi", 2, false);
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            var r = fixture.http.send(java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/chat/completions")).header("Content-Type", type)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            JsonNodeAssert.code(ErrorResponsesTest.assertError(r, 415, null), "unsupported_media_type");
        }
        var none = fixture.http.send(java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/chat/completions"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        ErrorResponsesTest.assertError(none, 415, null);
        var two = fixture.post("/v1/chat/completions", body, "Content-Type", "text/plain");
        ErrorResponsesTest.assertError(two, 415, null);
        var charset = fixture.http.send(java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/chat/completions"))
                .header("Content-Type", "Application/JSON; charset=utf-8").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, charset.statusCode(), charset.body());
    }

    /** Small assertion helpers on error bodies. */
    static final class JsonNodeAssert {
        static void code(com.fasterxml.jackson.databind.JsonNode error, String code) {
            assertEquals(code, error.get("code").asText(), error.toString());
        }
    }

    @Test
    void corsHeadersOnlyForConfiguredOrigins() {
        var allowed = fixture.get("/v1/models", "Origin", "https://app.example");
        assertEquals("https://app.example", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        var other = fixture.get("/v1/models", "Origin", "https://evil.example");
        assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent());
        var preflight = fixture.send(java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/chat/completions"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()), "Origin", "https://app.example",
                "Access-Control-Request-Method", "POST");
        assertEquals(204, preflight.statusCode());
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Content-Type"));
        var foreign = fixture.send(java.net.http.HttpRequest.newBuilder(fixture.uri("/v1/chat/completions"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()), "Origin", "https://evil.example");
        assertFalse(foreign.headers().firstValue("Access-Control-Allow-Origin").isPresent());
    }
}
