package qwen2vl4j.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.server.OpenAiServer;
import qwen2vl4j.server.ServerOptions;

/** {@code serve}: an OpenAI-compatible HTTP server (chat completions, models, health, metrics). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the model over an OpenAI-compatible HTTP API:",
                "POST /v1/chat/completions (JSON or SSE streaming, images and videos as data: URLs),",
                "GET /v1/models, GET /v1/limits, GET /health, GET /metrics (Prometheus),",
                "and a browser chat page at /."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M", description = "model folder or Hugging Face repo id")
    String model;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS", description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:QWEN2VL4J_API_KEY}",
            description = "require 'Authorization: Bearer KEY' on /v1/* (default: $QWEN2VL4J_API_KEY, else none)")
    String apiKey;

    @Option(names = "--model-name", paramLabel = "NAME", description = "the model id /v1/models lists (default: the folder name)")
    String modelName;

    @Option(names = "--max-concurrency", defaultValue = "4", paramLabel = "N",
            description = "generations at once, decoded together in one batched step (default: ${DEFAULT-VALUE})")
    int maxConcurrency;

    @Option(names = "--queue", defaultValue = "16", paramLabel = "N",
            description = "requests that may wait for a slot; more get 429 (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--queue-timeout", defaultValue = "60", paramLabel = "SECONDS",
            description = "longest wait for a slot before a 429 (default: ${DEFAULT-VALUE})")
    int queueTimeout;

    @Option(names = "--no-batching", description = "decode each generation on its own thread instead of in batched steps")
    boolean noBatching;

    @Option(names = "--max-body-mb", defaultValue = "32", paramLabel = "MB", description = "largest request body (default: ${DEFAULT-VALUE})")
    int maxBodyMb;

    @Option(names = "--body-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "longest time to receive a request body (default: ${DEFAULT-VALUE})")
    int bodyTimeout;

    @Option(names = "--request-timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "longest generation; the answer then ends with finish_reason length (a video file still being decoded "
                    + "is refused with a 408) (default: ${DEFAULT-VALUE})")
    int requestTimeout;

    @Option(names = "--max-media", defaultValue = "16", paramLabel = "N", description = "most images and videos per request (default: ${DEFAULT-VALUE})")
    int maxMedia;

    @Option(names = "--allow-remote-media",
            description = "fetch http(s) image URLs (public addresses only, no redirects, size and time limited)")
    boolean allowRemoteMedia;

    @Option(names = "--max-visual-tokens", defaultValue = "16384", paramLabel = "N",
            description = "most image and video tokens per request, counted from the image headers before decoding; about "
                    + "19 KB of pixel values plus the vision tower's activations each (default: ${DEFAULT-VALUE}, one image at the model's max_pixels)")
    int maxVisualTokens;

    @Option(names = "--header-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "longest time to receive a request's line and headers (default: ${DEFAULT-VALUE})")
    int headerTimeout;

    @Option(names = "--escape-special-tokens", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "read special-token text in message content (<|im_start|>...) as plain text, never as control tokens "
                    + "(default: on; --no-escape-special-tokens tokenizes content as the reference does)")
    boolean escapeSpecialTokens;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "a browser origin (https://app.example) that gets CORS headers; repeatable; * for any (default: none)")
    java.util.List<String> corsOrigins = new java.util.ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "NAME",
            description = "a Host header name accepted besides IP addresses, localhost and --host (e.g. behind a reverse proxy); "
                    + "repeatable; * for any")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();

    @Option(names = "--prompt-cache-mb", paramLabel = "MIB",
            description = "memory for the keys and values of prompts already run: a request that starts as one of them (a "
                    + "conversation sent again with a new turn, its images included) runs only the rest; 0 keeps none "
                    + "(default: 1024, at most an eighth of the heap)")
    Long promptCacheMb;

    @Mixin
    LoadOptionsMixin load;

    private void check(boolean ok, String flag, String range, Object found) {
        if (!ok) throw new picocli.CommandLine.ParameterException(spec.commandLine(), flag + " must be " + range + ", found " + found);
    }

    @Override
    public Integer call() throws Exception {
        java.nio.file.Path folder = ModelFolder.resolve(model);
        String name = modelName != null ? modelName : model.contains("/") && !java.nio.file.Files.exists(java.nio.file.Path.of(model))
                ? model : folder.getFileName().toString();
        check(!host.isBlank(), "--host", "an address or host name (an empty one listens on every interface)", "''");
        check(modelName == null || !modelName.isBlank(), "--model-name", "a non-empty model id", "''");
        check(port >= 0 && port <= 65535, "--port", "in [0, 65535] (0 picks a free one)", port);
        check(maxConcurrency >= 1, "--max-concurrency", ">= 1", maxConcurrency);
        check(queue >= 0, "--queue", ">= 0", queue);
        check(queueTimeout >= 0, "--queue-timeout", ">= 0 seconds", queueTimeout);
        check(maxBodyMb >= 1 && maxBodyMb <= 2047, "--max-body-mb", "in [1, 2047]", maxBodyMb);
        check(bodyTimeout >= 1, "--body-timeout", ">= 1 second", bodyTimeout);
        check(requestTimeout >= 1, "--request-timeout", ">= 1 second", requestTimeout);
        check(maxMedia >= 0, "--max-media", ">= 0", maxMedia);
        for (String h : allowedHosts) check(!h.isBlank(), "--allowed-host", "a host name or *", "''");
        check(maxVisualTokens >= 1, "--max-visual-tokens", ">= 1", maxVisualTokens);
        check(headerTimeout >= 1, "--header-timeout", ">= 1", headerTimeout);
        long heapMb = Runtime.getRuntime().maxMemory() >> 20;
        check(promptCacheMb == null || promptCacheMb >= 0 && promptCacheMb <= heapMb / 2, "--prompt-cache-mb",
                "in [0, " + heapMb / 2 + "] MiB, at most half of this JVM's heap of " + heapMb + " MiB (raise it with -Xmx in "
                + "QWEN2VL4J_JAVA_OPTS)", promptCacheMb);
        for (String origin : corsOrigins) {
            check(origin.equals("*") || origin.matches("https?://[^/\\s]+"), "--cors-origin", "* or scheme://host[:port] (no path)", origin);
        }
        ServerOptions options = ServerOptions.builder()
                .host(host).port(port).apiKey(apiKey).modelId(name)
                .maxConcurrency(maxConcurrency).queue(queue).queueTimeout(Duration.ofSeconds(queueTimeout))
                .batching(!noBatching)
                .maxBodyBytes((long) maxBodyMb << 20).bodyTimeout(Duration.ofSeconds(bodyTimeout))
                .requestTimeout(Duration.ofSeconds(requestTimeout))
                .maxMediaItems(maxMedia).allowRemoteMedia(allowRemoteMedia)
                .maxVisualTokens(maxVisualTokens).headerTimeout(Duration.ofSeconds(headerTimeout))
                .escapeSpecialTokens(escapeSpecialTokens).corsOrigins(corsOrigins).allowedHosts(allowedHosts)
                .promptCacheBytes(promptCacheMb == null ? qwen2vl4j.PromptCache.defaultCapacityBytes() : promptCacheMb << 20)
                .build();
        var err = spec.commandLine().getErr();
        try (Qwen2VL qwen = Qwen2VL.load(folder, load.toLoadOptions(folder)); OpenAiServer server = OpenAiServer.start(qwen, options)) {
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            if (options.apiKey() == null && !java.net.InetAddress.getByName(host).isLoopbackAddress()) {
                err.println("qwen2vl4j: warning: listening on " + host + " without --api-key: anyone who can reach it may use it");
            }
            err.printf("qwen2vl4j: serving %s at %s (max %d at once, queue %d%s%s; %s %s); chat page at %s/%n", name, server.baseUrl(),
                    maxConcurrency, queue, options.apiKey() == null ? "" : ", API key required", allowRemoteMedia ? ", remote media allowed" : "",
                    qwen.compute().backend(), qwen.compute().precision(), server.baseUrl().substring(0, server.baseUrl().length() - 3));
            err.flush();
            server.awaitTermination();
        }
        return 0;
    }
}
