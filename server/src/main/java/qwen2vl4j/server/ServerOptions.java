package qwen2vl4j.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link OpenAiServer} listens and what it accepts.
 *
 * @param host                 address to bind (loopback by default)
 * @param port                 TCP port; 0 picks a free one
 * @param apiKey               when set, every request needs {@code Authorization: Bearer KEY}; null for none
 * @param modelId              the model name {@code /v1/models} lists; a request naming another model gets 404
 * @param maxConcurrency       generations running at once (they decode together in one batched step)
 * @param queue                requests that may wait for a slot; more get 429
 * @param queueTimeout         longest wait in the queue before a 429
 * @param batching             decode concurrent generations in one batched step (continuous batching)
 * @param maxBodyBytes         largest request body; larger ones get 413
 * @param bodyTimeout          longest time to receive a request body; slower clients are cut off
 * @param writeTimeout         longest time one streamed event may take to send; a client that stops reading is cut off
 * @param requestTimeout       longest generation: at this limit the answer ends with finish_reason "length" (a video
 *                             file still being decoded then is refused with a 408)
 * @param maxMediaItems        most images and videos in one request
 * @param allowRemoteMedia     fetch {@code http(s)} image URLs (never from loopback or private addresses)
 * @param maxRemoteMediaBytes  largest remote file
 * @param remoteMediaTimeout   longest time to fetch one remote file
 * @param maxVisualTokens      most image and video tokens in one request, counted from the image headers before anything
 *                             is decoded (about 19 KB of pixel values and a few hundred KB of vision-tower activations each)
 * @param headerTimeout        longest time to receive a request's line and headers; slower clients get 408
 * @param escapeSpecialTokens  special-token text in message content (e.g. {@code <|im_start|>}) is read as plain text,
 *                             never as control tokens
 * @param corsOrigins          browser origins (e.g. {@code https://app.example}) that get CORS headers; {@code *} for any
 * @param allowedHosts         Host header values accepted besides the bound address and loopback names (for a reverse proxy);
 *                             {@code *} accepts any
 * @param promptCacheBytes     memory for the keys and values of prompts already run ({@link qwen2vl4j.PromptCache}): a
 *                             request that starts as one of them runs only the rest; 0 keeps none
 */
public record ServerOptions(
        String host,
        int port,
        String apiKey,
        String modelId,
        int maxConcurrency,
        int queue,
        Duration queueTimeout,
        boolean batching,
        long maxBodyBytes,
        Duration bodyTimeout,
        Duration writeTimeout,
        Duration requestTimeout,
        int maxMediaItems,
        boolean allowRemoteMedia,
        long maxRemoteMediaBytes,
        Duration remoteMediaTimeout,
        int maxVisualTokens,
        Duration headerTimeout,
        boolean escapeSpecialTokens,
        java.util.List<String> corsOrigins,
        java.util.List<String> allowedHosts,
        long promptCacheBytes) {

    public ServerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelId, "modelId");
        check(port >= 0 && port <= 65535, "port", "in [0, 65535]", port);
        check(maxConcurrency >= 1, "maxConcurrency", ">= 1", maxConcurrency);
        check(queue >= 0, "queue", ">= 0", queue);
        check(maxBodyBytes >= 1024, "maxBodyBytes", ">= 1024", maxBodyBytes);
        check(maxMediaItems >= 0, "maxMediaItems", ">= 0", maxMediaItems);
        check(maxRemoteMediaBytes >= 1, "maxRemoteMediaBytes", ">= 1", maxRemoteMediaBytes);
        Objects.requireNonNull(queueTimeout, "queueTimeout");
        Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(remoteMediaTimeout, "remoteMediaTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        check(maxVisualTokens >= 1, "maxVisualTokens", ">= 1", maxVisualTokens);
        check(promptCacheBytes >= 0, "promptCacheBytes", ">= 0", promptCacheBytes);
        corsOrigins = java.util.List.copyOf(corsOrigins);
        allowedHosts = java.util.List.copyOf(allowedHosts);
        if (apiKey != null && apiKey.isBlank()) apiKey = null;
    }

    /**
     * Defaults: 127.0.0.1:8080, no key, 4 at once, 16 waiting (60 s), batching on, 32 MiB bodies received within 30 s,
     * events sent within 30 s, generations of at most 10 minutes, 16 media items, no remote media (20 MiB, 20 s),
     * 16384 visual tokens per request, headers received within 10 s, special tokens in content escaped, no CORS origins,
     * no extra Host names, a prompt cache of 1 GiB (at most an eighth of the heap).
     */
    public static Builder builder() {
        return new Builder();
    }

    private static void check(boolean ok, String field, String expected, Object found) {
        if (!ok) throw new IllegalArgumentException("server option " + field + " must be " + expected + ", found " + found);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String apiKey;
        private String modelId = "qwen2-vl";
        private int maxConcurrency = 4;
        private int queue = 16;
        private Duration queueTimeout = Duration.ofSeconds(60);
        private boolean batching = true;
        private long maxBodyBytes = 32L << 20;
        private Duration bodyTimeout = Duration.ofSeconds(30);
        private Duration writeTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofMinutes(10);
        private int maxMediaItems = 16;
        private boolean allowRemoteMedia;
        private long maxRemoteMediaBytes = 20L << 20;
        private Duration remoteMediaTimeout = Duration.ofSeconds(20);
        private int maxVisualTokens = 16384;
        private Duration headerTimeout = Duration.ofSeconds(10);
        private boolean escapeSpecialTokens = true;
        private java.util.List<String> corsOrigins = java.util.List.of();
        private java.util.List<String> allowedHosts = java.util.List.of();
        private long promptCacheBytes = qwen2vl4j.PromptCache.defaultCapacityBytes();

        private Builder() {}

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        public Builder modelId(String v) { modelId = v; return this; }
        public Builder maxConcurrency(int v) { maxConcurrency = v; return this; }
        public Builder queue(int v) { queue = v; return this; }
        public Builder queueTimeout(Duration v) { queueTimeout = v; return this; }
        public Builder batching(boolean v) { batching = v; return this; }
        public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
        public Builder bodyTimeout(Duration v) { bodyTimeout = v; return this; }
        public Builder writeTimeout(Duration v) { writeTimeout = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder maxMediaItems(int v) { maxMediaItems = v; return this; }
        public Builder allowRemoteMedia(boolean v) { allowRemoteMedia = v; return this; }
        public Builder maxRemoteMediaBytes(long v) { maxRemoteMediaBytes = v; return this; }
        public Builder remoteMediaTimeout(Duration v) { remoteMediaTimeout = v; return this; }
        public Builder maxVisualTokens(int v) { maxVisualTokens = v; return this; }
        public Builder headerTimeout(Duration v) { headerTimeout = v; return this; }
        public Builder escapeSpecialTokens(boolean v) { escapeSpecialTokens = v; return this; }
        public Builder corsOrigins(java.util.List<String> v) { corsOrigins = v; return this; }
        public Builder allowedHosts(java.util.List<String> v) { allowedHosts = v; return this; }
        public Builder promptCacheBytes(long v) { promptCacheBytes = v; return this; }

        public ServerOptions build() {
            return new ServerOptions(host, port, apiKey, modelId, maxConcurrency, queue, queueTimeout, batching, maxBodyBytes,
                    bodyTimeout, writeTimeout, requestTimeout, maxMediaItems, allowRemoteMedia, maxRemoteMediaBytes, remoteMediaTimeout,
                    maxVisualTokens, headerTimeout, escapeSpecialTokens, corsOrigins, allowedHosts, promptCacheBytes);
        }
    }
}
