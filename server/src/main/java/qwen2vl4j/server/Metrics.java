package qwen2vl4j.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** The server's counters, gauges and histograms, written in Prometheus' text format by {@link #render}. */
final class Metrics {
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder cachedTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder imageTokens = new LongAdder();
    private final LongAdder videoTokens = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final Histogram latency = new Histogram(LATENCY_BUCKETS);
    private final Histogram firstToken = new Histogram(LATENCY_BUCKETS);
    private final Histogram batchSize = new Histogram(BATCH_BUCKETS);
    private final TokenRate rate = new TokenRate(10);
    private volatile IntSupplier running = () -> 0;
    private volatile IntSupplier waiting = () -> 0;

    void gauges(IntSupplier running, IntSupplier waiting) {
        this.running = running;
        this.waiting = waiting;
    }

    /** One answered request of {@code endpoint} with {@code status}. */
    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    void generated(int tokens) {
        completionTokens.add(tokens);
        rate.add(tokens);
    }

    void prompt(int prompt, int image, int video) {
        promptTokens.add(prompt);
        imageTokens.add(image);
        videoTokens.add(video);
    }

    /** A request's prompt took {@code tokens} tokens from the prompt cache. */
    void cachedPrompt(int tokens) {
        cachedTokens.add(tokens);
    }

    void cancelled() {
        cancelled.increment();
    }

    void latency(double seconds) {
        latency.observe(seconds);
    }

    void firstToken(double seconds) {
        firstToken.observe(seconds);
    }

    void decodeStep(int rows) {
        batchSize.observe(rows);
    }

    long completionTokens() {
        return completionTokens.sum();
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        header(sb, "qwen2vl4j_requests_total", "counter", "HTTP requests answered, by endpoint and status");
        Map<String, Long> sorted = new TreeMap<>();
        requests.forEach((k, v) -> sorted.put(k, v.sum()));
        sorted.forEach((k, v) -> {
            String[] parts = k.split("\u0000");
            sb.append("qwen2vl4j_requests_total{endpoint=\"").append(parts[0]).append("\",status=\"").append(parts[1]).append("\"} ")
                    .append(v).append('\n');
        });
        counter(sb, "qwen2vl4j_requests_cancelled_total", "generations stopped because the client went away", cancelled.sum());
        counter(sb, "qwen2vl4j_prompt_tokens_total", "prompt tokens processed (image and video tokens included)", promptTokens.sum());
        counter(sb, "qwen2vl4j_prompt_cached_tokens_total", "prompt tokens taken from the prompt cache (neither encoded nor prefilled again)",
                cachedTokens.sum());
        counter(sb, "qwen2vl4j_image_tokens_total", "prompt tokens standing for images", imageTokens.sum());
        counter(sb, "qwen2vl4j_video_tokens_total", "prompt tokens standing for videos", videoTokens.sum());
        counter(sb, "qwen2vl4j_completion_tokens_total", "tokens generated", completionTokens.sum());
        gauge(sb, "qwen2vl4j_generation_tokens_per_second", "tokens generated per second over the last 10 s", rate.perSecond());
        gauge(sb, "qwen2vl4j_requests_running", "generations holding a slot", running.getAsInt());
        gauge(sb, "qwen2vl4j_queue_length", "requests waiting for a slot", waiting.getAsInt());
        latency.render(sb, "qwen2vl4j_request_duration_seconds", "chat completion latency, request received to last byte");
        firstToken.render(sb, "qwen2vl4j_time_to_first_token_seconds", "request received to first generated token");
        batchSize.render(sb, "qwen2vl4j_decode_batch_size", "generations decoded together per batched step");
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        header(sb, name, "counter", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, double value) {
        header(sb, name, "gauge", help);
        sb.append(name).append(' ').append(format(value)).append('\n');
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }

    /** A cumulative histogram with fixed upper bounds. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final LongAdder count = new LongAdder();
        private final DoubleAdder sum = new DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds.clone();
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) counts[i] = new LongAdder();
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) if (v <= bounds[i]) counts[i].increment();
            count.increment();
            sum.add(v);
        }

        void render(StringBuilder sb, String name, String help) {
            header(sb, name, "histogram", help);
            for (int i = 0; i < bounds.length; i++) {
                sb.append(name).append("_bucket{le=\"").append(format(bounds[i])).append("\"} ").append(counts[i].sum()).append('\n');
            }
            sb.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
            sb.append(name).append("_sum ").append(format(sum.sum())).append('\n');
            sb.append(name).append("_count ").append(count.sum()).append('\n');
        }
    }

    /** Events per second over a sliding window of whole seconds. */
    static final class TokenRate {
        private final long[] seconds;
        private final AtomicLong[] counts;

        TokenRate(int windowSeconds) {
            seconds = new long[windowSeconds];
            counts = new AtomicLong[windowSeconds];
            for (int i = 0; i < windowSeconds; i++) counts[i] = new AtomicLong();
        }

        synchronized void add(long n) {
            long now = System.currentTimeMillis() / 1000;
            int slot = (int) (now % seconds.length);
            if (seconds[slot] != now) {
                seconds[slot] = now;
                counts[slot].set(0);
            }
            counts[slot].addAndGet(n);
        }

        synchronized double perSecond() {
            long now = System.currentTimeMillis() / 1000;
            long total = 0;
            for (int i = 0; i < seconds.length; i++) if (now - seconds[i] < seconds.length) total += counts[i].get();
            return (double) total / seconds.length;
        }
    }
}
