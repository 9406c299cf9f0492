package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;

/**
 * Loopback soak: clients mixing valid (plain and streaming, text, an image, an animated GIF as a video), malformed,
 * oversized, undecodable, disconnecting and slow requests against the tiny model for {@code -Dsoak.seconds} (default 60; {@code bin/soak} runs 20 minutes). Every valid
 * answer must be the library's own, every bad request must get its status, and afterwards the server must be idle with
 * no more threads or open files than before.
 */
class SoakTest {
    static final int CLIENTS = 6;
    static final String HELLO = "Hello there";

    @Test
    void mixedClientsLeaveNoTrace() throws Exception {
        long seconds = Long.getLong("soak.seconds", 60);
        String expected = ServerFixture.expected(List.of(Message.user(HELLO)), 4).text();
        String imageExpected = ServerFixture.expected(List.of(media(new ContentPart.Image(new MediaSource.BytesSource(IMAGE, "i")))), 4).text();
        String videoExpected = ServerFixture.expected(List.of(media(new ContentPart.Video(List.of(new MediaSource.BytesSource(GIF, "v")),
                Map.of()))), 4).text();
        ServerOptions.Builder options = ServerOptions.builder().maxConcurrency(2).queue(64).maxBodyBytes(64 * 1024)
                .bodyTimeout(Duration.ofSeconds(1)).headerTimeout(Duration.ofSeconds(1)).writeTimeout(Duration.ofSeconds(2));
        try (ServerFixture f = new ServerFixture(options)) {
            for (int i = 0; i < 3; i++) assertEquals(200, f.post("/v1/chat/completions", ServerFixture.greedyBody(HELLO, 4, false)).statusCode());
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            long filesBefore = openFiles();
            Map<String, AtomicLong> done = new ConcurrentHashMap<>();
            Map<String, String> wrong = new ConcurrentHashMap<>();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> running = new java.util.ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Random random = new Random(c);
                running.add(clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        int kind = random.nextInt(11);
                        String name = "kind" + kind;
                        try {
                            String problem = switch (kind) {
                                case 8 -> answers(f.post("/v1/chat/completions", mediaBody("image_url", "image/png", IMAGE)), imageExpected);
                                case 9 -> answers(f.post("/v1/chat/completions", mediaBody("video_url", "image/gif", GIF)), videoExpected);
                                case 10 -> expect(f.post("/v1/chat/completions", mediaBody("image_url", "image/png",
                                        java.util.Arrays.copyOf(IMAGE, IMAGE.length / 2))), 400);   // a truncated image
                                default -> scenario(f, kind, expected);
                            };
                            if (problem != null) wrong.merge(name, problem, (a, b) -> a);
                        } catch (Exception e) {
                            wrong.merge(name, e.toString(), (a, b) -> a);
                        }
                        done.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> r : running) r.get();
            clients.shutdown();
            assertTrue(wrong.isEmpty(), "unexpected answers: " + wrong + " after " + done);
            assertTrue(f.awaitIdle(), "requests still running");
            HttpResponse<String> last = f.post("/v1/chat/completions", ServerFixture.greedyBody(HELLO, 4, false));
            assertEquals(expected, ServerFixture.answerText(last.body()));
            assertTrue(ServerFixture.await(() -> ManagementFactory.getThreadMXBean().getThreadCount() <= threadsBefore + 4),
                    "threads grew from " + threadsBefore + " to " + ManagementFactory.getThreadMXBean().getThreadCount());
            assertTrue(ServerFixture.await(() -> openFiles() <= filesBefore + 8), "open files grew from " + filesBefore + " to " + openFiles());
            System.out.println("soak: " + seconds + " s, " + done);
        }
    }

    /** One client action; returns what was wrong with the answer, or null. */
    static String scenario(ServerFixture f, int kind, String expected) throws IOException, InterruptedException {
        switch (kind) {
            case 0, 1 -> {
                return answers(f.post("/v1/chat/completions", ServerFixture.greedyBody(HELLO, 4, kind == 1)), expected);
            }
            case 2 -> {
                return expect(f.post("/v1/chat/completions", "{\"messages\": [{\"role\":"), 400);
            }
            case 3 -> {
                return expect(f.post("/v1/chat/completions", ServerFixture.greedyBody("a".repeat(100_000), 4, false)), 413);
            }
            case 4 -> {
                try (Socket s = f.openStream(ServerFixture.greedyBody(HELLO, 200, true), 2)) {
                    return null;                                            // gone mid-stream
                } catch (IOException busy) {
                    return busy.getMessage().contains("429") ? null : busy.toString();
                }
            }
            case 5 -> {
                return raw(f, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 400\r\n\r\n{\"messages\":", "HTTP/1.1 408");   // a body that stalls
            }
            case 6 -> {
                return raw(f, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", "");   // headers that stall: cut
            }
            default -> {
                StringBuilder head = new StringBuilder("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                for (int i = 0; i < 300; i++) head.append("X-").append(i).append(": v\r\n");
                return raw(f, head + "\r\n", "HTTP/1.1 431");
            }
        }
    }

    /** A small PNG, and an animated GIF of four solid 56x56 frames: both well within the soak's 64 KiB bodies. */
    static final byte[] IMAGE = ServerFixture.imageBytes("small_112x84.png");
    static final byte[] GIF;

    static {
        List<java.awt.image.BufferedImage> frames = new java.util.ArrayList<>();
        for (int rgb : new int[] {0xC03020, 0x20C030, 0x3020C0, 0xE0E0E0}) {
            java.awt.image.BufferedImage frame = new java.awt.image.BufferedImage(56, 56, java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 56; y++) for (int x = 0; x < 56; x++) frame.setRGB(x, y, x < 28 ? rgb : ~rgb & 0xFFFFFF);
            frames.add(frame);
        }
        try {
            GIF = VideoRequestTest.gif(frames);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Message media(ContentPart part) {
        return new Message("user", List.of(part, new ContentPart.Text("Describe.")));
    }

    /** A greedy request of 4 tokens (EOS ignored) with one {@code type} part holding {@code bytes} as a data URL. */
    static String mediaBody(String type, String mime, byte[] bytes) {
        String url = ServerFixture.quote("data:" + mime + ";base64," + java.util.Base64.getEncoder().encodeToString(bytes));
        return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"" + type + "\",\"" + type + "\":{\"url\":" + url
                + "}},{\"type\":\"text\",\"text\":\"Describe.\"}]}],\"temperature\":0,\"max_tokens\":4,\"ignore_eos\":true}";
    }

    /** Null when {@code r} is the answer {@code expected} (or a full queue's 429, a correct answer too). */
    static String answers(HttpResponse<String> r, String expected) {
        if (r.statusCode() == 429) return null;
        if (r.statusCode() != 200) return "status " + r.statusCode() + ": " + r.body();
        String text = ServerFixture.answerText(r.body().strip());
        return text.equals(expected) ? null : "answer '" + text + "' instead of '" + expected + "'";
    }

    static String expect(HttpResponse<String> r, int status) {
        return r.statusCode() == status ? null : "status " + r.statusCode() + " instead of " + status + ": " + r.body();
    }

    /** Sends {@code request}, reads until the server closes, and checks the answer's start. */
    static String raw(ServerFixture f, String request, String startsWith) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", f.server.port()));
            s.setSoTimeout((int) ServerFixture.PATIENCE.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            try {
                for (int c; (c = in.read()) >= 0; ) got.append((char) c);
            } catch (java.net.SocketException reset) {
                // closed by the server
            }
            return got.toString().startsWith(startsWith) ? null : "answer '" + got + "' instead of '" + startsWith + "...'";
        }
    }

    static long openFiles() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix ? unix.getOpenFileDescriptorCount() : 0;
    }
}
