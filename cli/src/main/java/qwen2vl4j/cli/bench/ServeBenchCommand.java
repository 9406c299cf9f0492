package qwen2vl4j.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.server.OpenAiServer;
import qwen2vl4j.server.ServerOptions;

/**
 * {@code serve-bench}: starts the server on loopback and measures it under concurrent clients, with and without
 * continuous batching: requests/s, latency percentiles, and aggregate tokens/s against one stream alone.
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the HTTP server on loopback: N clients sending greedy chat completions (EOS ignored),",
                "batched and unbatched decoding, against one stream alone."})
public final class ServeBenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M", description = "model folder or Hugging Face repo id")
    String model;

    @Option(names = "--clients", defaultValue = "8", description = "concurrent clients (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--requests", defaultValue = "32", description = "requests in all (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--max-tokens", defaultValue = "64", description = "tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--max-concurrency", defaultValue = "8", description = "server slots (default: ${DEFAULT-VALUE})")
    int maxConcurrency;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Qwen2VL qwen = Qwen2VL.load(ModelFolder.resolve(model), qwen2vl4j.LoadOptions.defaults())) {
            out.printf("serve-bench: %s, %d requests from %d clients, %d tokens each, max-concurrency %d, %d cores%n", model, requests, clients,
                    maxTokens, maxConcurrency, Runtime.getRuntime().availableProcessors());
            for (boolean batching : new boolean[] {true, false}) {
                ServerOptions options = ServerOptions.builder().port(0).maxConcurrency(maxConcurrency).queue(requests).batching(batching).build();
                try (OpenAiServer server = OpenAiServer.start(qwen, options)) {
                    run(out, server, batching);
                }
            }
        }
        return 0;
    }

    private void run(PrintWriter out, OpenAiServer server, boolean batching) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create(server.baseUrl() + "/chat/completions");
        request(http, uri, 0, 8);
        long t0 = System.nanoTime();
        int singleTokens = request(http, uri, 1, maxTokens);
        double single = singleTokens / ((System.nanoTime() - t0) / 1e9);
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long tokens = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    long s = System.nanoTime();
                    int n = request(http, uri, k, maxTokens);
                    latencies.add((System.nanoTime() - s) / 1e9);
                    return n;
                }));
            }
            for (Future<Integer> f : futures) tokens += f.get();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        Collections.sort(latencies);
        out.printf("  %-9s %6.2f requests/s, latency p50 %.3f s p99 %.3f s, aggregate %.0f tokens/s vs one stream %.0f tokens/s (x%.2f)%n",
                batching ? "batched" : "unbatched", requests / wall, percentile(latencies, 50), percentile(latencies, 99), tokens / wall, single,
                tokens / wall / single);
        out.flush();
    }

    /** One greedy chat completion; returns its completion tokens. */
    private static int request(HttpClient http, URI uri, int k, int maxTokens) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of(
                "messages", List.of(java.util.Map.of("role", "user", "content", "Benchmark prompt " + k + ": write a long story.")),
                "temperature", 0, "max_tokens", maxTokens, "ignore_eos", true));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        JsonNode json = JSON.readTree(r.body());
        return json.at("/usage/completion_tokens").asInt();
    }

    private static double percentile(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
