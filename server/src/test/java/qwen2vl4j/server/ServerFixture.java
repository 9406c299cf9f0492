package qwen2vl4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;

/** A server on a random loopback port over the tiny fixture model (loaded once per test JVM), and ways to call it. */
final class ServerFixture implements AutoCloseable {
    private static Qwen2VL model;

    /**
     * How long a test waits for something that must happen (a slot freed, a metric counted, a connection closed).
     * Only a failing test waits this long, so it is generous: a loaded CI machine may be slow, never wrong.
     */
    static final Duration PATIENCE = Duration.ofSeconds(120);

    final OpenAiServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(PATIENCE).build();

    ServerFixture(ServerOptions.Builder options) {
        try {
            server = OpenAiServer.start(model(), options.host("127.0.0.1").port(0).modelId("tiny").build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized Qwen2VL model() {
        if (model == null) model = Qwen2VL.load(fixtures().resolve("models/tiny-qwen2vl"), qwen2vl4j.LoadOptions.defaults());
        return model;
    }

    static Path fixtures() {
        String p = System.getProperty("fixtures.dir");
        return p != null ? Path.of(p) : Path.of("..", "fixtures");
    }

    static String imageDataUrl(String name) {
        try {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(fixtures().resolve("images").resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] imageBytes(String name) {
        try {
            return Files.readAllBytes(fixtures().resolve("images").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the library answers greedily (temperature 0) with {@code maxTokens} tokens and EOS ignored. */
    static GenerationResult expected(List<Message> messages, int maxTokens) {
        SamplingParams params = model().defaultParams().toBuilder().greedy(true).temperature(0).maxNewTokens(maxTokens).ignoreEos(true).build();
        return model().generate(messages, params, null);
    }

    /** A greedy request body for one user text message. */
    static String greedyBody(String text, int maxTokens, boolean stream) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":" + quote(text) + "}],\"temperature\":0,"
                + "\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"stream\":" + stream + "}";
    }

    static String quote(String s) {
        try {
            return Http.JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    OpenAIClient client(String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey(apiKey).maxRetries(0)
                .timeout(PATIENCE).build();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)), headers);
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        request.timeout(PATIENCE).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The answer text of a chat completion response: the message content, or the content deltas of an SSE stream. */
    static String answerText(String body) {
        if (!body.startsWith("data: ")) return json(body).at("/choices/0/message/content").asText();
        StringBuilder text = new StringBuilder();
        boolean done = false;
        for (String line : body.split("\n")) {
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode content = json(data).at("/choices/0/delta/content");
            if (content.isTextual()) text.append(content.asText());
        }
        if (!done) throw new AssertionError("stream without data: [DONE]: " + body);
        return text.toString();
    }

    static JsonNode json(String body) {
        return Http.parseJson(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The value of a metric line in /metrics, named with its labels if it has any ({@code name{label="v"}}). */
    double metric(String name) {
        return value(name).orElseThrow(() -> new AssertionError("metric " + name + " not found"));
    }

    /** The value of a labelled counter, 0 while it has not been counted (its line appears with the first count). */
    double count(String name) {
        return value(name).orElse(0);
    }

    private OptionalDouble value(String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(get("/metrics").body());
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }

    /** Waits until {@code condition} holds, polling; returns false when it still does not after {@link #PATIENCE}. */
    static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }

    /** Waits until no generation holds a slot and none waits for one; returns whether that happened. */
    boolean awaitIdle() throws InterruptedException {
        return await(() -> metric("qwen2vl4j_requests_running") == 0 && metric("qwen2vl4j_queue_length") == 0);
    }

    /**
     * A raw streaming request on its own socket: sends {@code body}, reads until {@code events} SSE events arrived,
     * and returns the open socket (the caller closes it to disconnect mid-stream).
     */
    Socket openStream(String body, int events) throws IOException {
        Socket socket = new Socket();
        // a small window: a client that stops reading blocks the server's writes soon, so its generation holds its
        // slot (until the write limit) instead of running on into the socket buffers
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
        socket.setSoTimeout((int) PATIENCE.toMillis());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        int count = 0, c;
        while (count < events && (c = in.read()) >= 0) {
            seen.append((char) c);
            if (seen.length() >= 6 && seen.substring(seen.length() - 6).equals("data: ")) count++;
        }
        if (count < events) throw new IOException("stream ended after " + count + " events: " + seen);
        if (!seen.toString().startsWith("HTTP/1.1 200")) throw new IOException("not a 200 stream: " + seen);
        return socket;
    }

    @Override
    public void close() {
        server.close();
    }
}
