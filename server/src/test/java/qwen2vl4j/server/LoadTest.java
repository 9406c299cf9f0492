package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.Message;

/**
 * A bounded load on loopback: 200 requests from 16 client threads, some malformed, some disconnecting mid-stream.
 * Every well-formed request must get the library's answer, every malformed one a 4xx, and afterwards no slot,
 * queue entry or thread may be left. Prints requests/s, latency percentiles and aggregate tokens/s against one
 * stream alone (figures only: nothing here asserts a speed).
 */
class LoadTest {
    static final int REQUESTS = 200;
    static final int CLIENTS = 16;
    static final int PROMPTS = 10;

    static String prompt(int i) {
        return "Load test prompt " + i + ": " + "tell me more ".repeat(1 + i % 4);
    }

    static int maxTokens(int i) {
        return 16 + 4 * i;
    }

    static final List<String> MALFORMED = List.of(
            "{\"messages\": [",
            "{\"messages\":\"hi\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"many\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,%%%\"}}]}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,aGVsbG8=\"}}]}]}");

    @Test
    void boundedLoadWithMalformedAndDisconnectingClients() throws Exception {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) expected.add(ServerFixture.expected(List.of(Message.user(prompt(i))), maxTokens(i)).text());

        try (ServerFixture f = new ServerFixture(ServerOptions.builder().maxConcurrency(8).queue(64).queueTimeout(ServerFixture.PATIENCE))) {
            // warm up, then one stream alone for the single-stream figure
            f.post("/v1/chat/completions", ServerFixture.greedyBody(prompt(0), 8, false));
            int singleTokens = 256;
            long t0 = System.nanoTime();
            HttpResponse<String> alone = f.post("/v1/chat/completions", ServerFixture.greedyBody(prompt(1), singleTokens, false));
            double singleSeconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(200, alone.statusCode());
            System.gc();
            int threadsBefore = serverSideThreads();
            long heapBefore = usedHeap();

            Random random = new Random(42);
            List<Integer> kinds = new ArrayList<>();   // 0 well-formed, 1 malformed, 2 disconnecting
            for (int i = 0; i < REQUESTS; i++) {
                int r = random.nextInt(100);
                kinds.add(r < 70 ? 0 : r < 85 ? 1 : 2);
            }
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicLong tokens = new AtomicLong();
            long tokensBefore = (long) f.metric("qwen2vl4j_completion_tokens_total");
            long start = System.nanoTime();
            List<Future<?>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
                for (int i = 0; i < REQUESTS; i++) {
                    int n = i, kind = kinds.get(i), p = i % PROMPTS;
                    results.add(pool.submit(() -> {
                        long s = System.nanoTime();
                        switch (kind) {
                            case 0 -> {
                                boolean stream = n % 2 == 0;
                                HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody(prompt(p), maxTokens(p), stream));
                                assertEquals(200, r.statusCode(), r.body());
                                assertEquals(expected.get(p), ServerFixture.answerText(r.body()), "request " + n);
                                latencies.add((System.nanoTime() - s) / 1e9);
                                tokens.addAndGet(maxTokens(p));
                            }
                            case 1 -> {
                                HttpResponse<String> r = f.post("/v1/chat/completions", MALFORMED.get(n % MALFORMED.size()));
                                assertEquals(400, r.statusCode(), r.body());
                                assertTrue(ServerFixture.json(r.body()).get("error").has("message"));
                            }
                            default -> {
                                Socket socket = f.openStream(ServerFixture.greedyBody(prompt(p), 5_000, true), 3);
                                socket.close();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> r : results) r.get(ServerFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            assertTrue(f.awaitIdle(), "slots or queue entries left after the load");
            long serverTokens = (long) f.metric("qwen2vl4j_completion_tokens_total") - tokensBefore;

            // threads of finished work (the clients' pool, idle scheduler workers) end on their own time: wait for them;
            // threads leaked per request would stay
            boolean settled = ServerFixture.await(() -> serverSideThreads() <= threadsBefore + 4);
            int threadsAfter = serverSideThreads();
            assertTrue(settled, "threads before " + threadsBefore + ", after " + threadsAfter + ": "
                    + Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList());
            System.gc();
            long heapAfter = usedHeap();

            Collections.sort(latencies);
            long wellFormed = kinds.stream().filter(k -> k == 0).count();
            assertEquals(wellFormed, latencies.size());
            System.out.printf(Locale.ROOT, "%nLOAD TEST (tiny model, %d requests from %d clients: %d well-formed, %d malformed, %d disconnecting;"
                            + " max-concurrency 8, batching on)%n",
                    REQUESTS, CLIENTS, wellFormed, kinds.stream().filter(k -> k == 1).count(), kinds.stream().filter(k -> k == 2).count());
            System.out.printf(Locale.ROOT, "  wall %.2f s, %.1f requests/s; well-formed latency p50 %.3f s, p99 %.3f s%n",
                    wall, REQUESTS / wall, percentile(latencies, 50), percentile(latencies, 99));
            System.out.printf(Locale.ROOT, "  aggregate %.0f tokens/s answered (%.0f tokens/s generated incl. cancelled streams)"
                            + " vs one stream alone %.0f tokens/s (%d tokens in %.3f s)%n",
                    tokens.get() / wall, serverTokens / wall, singleTokens / singleSeconds, singleTokens, singleSeconds);
            System.out.printf(Locale.ROOT, "  threads %d -> %d, heap used %d MB -> %d MB%n", threadsBefore, threadsAfter,
                    heapBefore >> 20, heapAfter >> 20);
        }
        ServerFixture.await(() -> serverThreadNames().isEmpty());
        assertEquals(List.of(), serverThreadNames(), "server threads alive after close");
    }

    /**
     * Platform threads, without the test's own HTTP client pool (which keeps idle workers for a minute) and the
     * kernels' compute pool (created once per process, bounded by its parallelism).
     */
    static int serverSideThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !t.getName().startsWith("HttpClient-") && !t.getName().startsWith("qwen2vl4j-compute-")).count();
    }

    /** The server's own threads; the kernels' compute pool is process-wide by design, shared by every model. */
    static List<String> serverThreadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("qwen2vl4j-") && !n.startsWith("qwen2vl4j-compute-")).toList();
    }

    static double percentile(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
