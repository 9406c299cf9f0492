package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import qwen2vl4j.Qwen2VL;

/**
 * An OpenAI-compatible HTTP server over one shared {@link Qwen2VL}:
 * {@code POST /v1/chat/completions} (JSON or Server-Sent Events), {@code GET /v1/models}, {@code GET /health},
 * {@code GET /v1/limits} (body size, media count and pixel budgets), {@code GET /metrics} (Prometheus text) and a
 * browser chat page at {@code /}. Built on the JDK's HTTP server with one virtual thread per request.
 *
 * <pre>{@code
 * try (Qwen2VL model = Qwen2VL.load(path, LoadOptions.defaults());
 *      OpenAiServer server = OpenAiServer.start(model, ServerOptions.builder().port(8080).build())) {
 *     server.awaitTermination();
 * }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OpenAiServer.class.getName());

    private final ServerOptions options;
    private final HttpServer http;
    private final ExecutorService executor;
    private final Watchdog watchdog = new Watchdog();
    private final InferenceEngine engine;
    private final Admission admission;
    private final Metrics metrics = new Metrics();
    private final ChatCompletions chat;
    private final WebPage web = new WebPage();
    private final Map<String, Object> limits;
    private final RequestGuard guard;
    private final ThreadLocal<Watchdog.Armed> headerLimit = new ThreadLocal<>();

    static {
        JdkHttpLimits.apply();
    }
    /** Runs before routing; tests make requests fail with any throwable through it. */
    private volatile java.util.function.Consumer<HttpExchange> beforeRoute = e -> { };
    private final byte[] apiKey;
    private final long created = System.currentTimeMillis() / 1000;
    private final Object stopped = new Object();
    private boolean closed;

    private OpenAiServer(Qwen2VL model, ServerOptions options) throws IOException {
        this.options = options;
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.admission = new Admission(options.maxConcurrency(), options.queue(), options.queueTimeout());
        metrics.gauges(admission::running, admission::waiting);
        this.engine = new InferenceEngine(model, options.batching(), options.maxConcurrency(), metrics, options.maxVisualTokens(),
                options.escapeSpecialTokens(), options.promptCacheBytes());
        MediaFetcher media = new MediaFetcher(options.allowRemoteMedia(), options.maxRemoteMediaBytes(), options.remoteMediaTimeout());
        this.guard = new RequestGuard(options.host(), options.allowedHosts(), options.corsOrigins());
        this.chat = new ChatCompletions(engine, new ChatRequestParser(engine.defaults(), media, options.maxMediaItems(),
                engine.minImagePixels(), engine.maxImagePixelBudget(), options.modelId()), admission, metrics, options, watchdog);
        this.limits = limits(model, options);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        } catch (IOException e) {
            engine.close();
            watchdog.close();
            throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
        // the JDK's server reads a request's line and headers on the executor before any handler runs: a limit armed
        // there (disarmed when the handler starts) cuts a client that sends its headers too slowly
        http.setExecutor(task -> executor.execute(() -> {
            Watchdog.Armed limit = watchdog.arm(options.headerTimeout());
            headerLimit.set(limit);
            try {
                task.run();
            } finally {
                headerLimit.remove();
                limit.close();
            }
        }));
        http.createContext("/", this::dispatch);
        http.start();
    }

    /** Starts serving {@code model} (which the caller keeps and closes after the server). */
    public static OpenAiServer start(Qwen2VL model, ServerOptions options) throws IOException {
        return new OpenAiServer(model, options);
    }

    /** The port listened on (the chosen one when the options said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** {@code http://host:port/v1}, the base URL OpenAI clients take. */
    public String baseUrl() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + host + ":" + port() + "/v1";
    }

    /** Test hook: {@code hook} runs on every request before it is routed (and may throw anything). */
    void beforeRoute(java.util.function.Consumer<HttpExchange> hook) {
        beforeRoute = hook;
    }

    /** Blocks until {@link #close} is called (e.g. from a shutdown hook). */
    public void awaitTermination() throws InterruptedException {
        synchronized (stopped) {
            while (!closed) stopped.wait();
        }
    }

    /** Stops accepting requests, lets running ones end for up to 2 s, and stops the decode thread. */
    @Override
    public void close() {
        synchronized (stopped) {
            if (closed) return;
            closed = true;
            stopped.notifyAll();
        }
        http.stop(2);
        engine.close();
        executor.shutdownNow();
        watchdog.close();
    }

    // ------------------------------------------------------------------ routing

    /**
     * Answers every request, whatever happens: client mistakes with their 4xx, and any other {@link Throwable} (a bug,
     * the heap running out) with a 500 that carries the request id also logged with the stack trace, so that one
     * request's failure never goes unanswered nor reaches the others.
     */
    private void dispatch(HttpExchange exchange) {
        long received = System.nanoTime();
        String requestId = "req_" + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        String path = exchange.getRequestURI().getPath();
        String endpoint = endpointName(path);
        int status;
        Watchdog.Armed headers = headerLimit.get();
        if (headers != null) headers.close();
        try {
            exchange.getResponseHeaders().set("X-Request-Id", requestId);
            JdkHttpLimits.checkHeaders(exchange);
            beforeRoute.accept(exchange);
            status = route(exchange, path, received);
        } catch (ApiException e) {
            status = e.status();
            respondError(exchange, e);
        } catch (Http.SlowClientException e) {
            status = 408;                                // answered by the body limit itself, before it cut the connection
        } catch (Http.BadFramingException e) {
            status = 400;
            respondError(exchange, ApiException.badRequest(null, e.getMessage()));
        } catch (IOException e) {
            status = 499;   // the client went away
        } catch (Throwable e) {
            LOG.log(Level.SEVERE, "request " + requestId + " to " + ChatRequestParser.abbreviate(path, 200) + " failed", e);
            status = 500;
            respondError(exchange, ApiException.internal("internal server error (request id " + requestId
                    + "); the server logged it with this id"));
        } finally {
            // closing reads and drops what is left of the body: bounded in time like reading it, so a client that
            // stalls after an early answer (401, 415, 421, ...) cannot hold this thread
            try (Watchdog.Armed drain = watchdog.arm(options.bodyTimeout())) {
                exchange.close();
            }
        }
        metrics.request(endpoint, status);
        if (endpoint.equals("chat_completions")) metrics.latency((System.nanoTime() - received) / 1e9);
    }

    private int route(HttpExchange exchange, String path, long received) throws IOException {
        String method = exchange.getRequestMethod();
        guard.checkHost(exchange);
        guard.cors(exchange);
        if (method.equals("OPTIONS")) {           // a CORS preflight: allowed origins got their headers above
            exchange.getResponseHeaders().set("Allow", "GET, POST, OPTIONS");
            exchange.sendResponseHeaders(204, -1);
            return 204;
        }
        if (WebPage.handles(path)) return web.serve(exchange, method, path);
        switch (path) {
            case "/health" -> {
                requireMethod(exchange, method, "GET", path);
                Http.sendJson(exchange, 200, Map.of("status", "ok"));
                return 200;
            }
            case "/metrics" -> {
                requireMethod(exchange, method, "GET", path);
                Http.sendText(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
                return 200;
            }
            case "/v1/limits" -> {
                authorize(exchange);
                requireMethod(exchange, method, "GET", path);
                Http.sendJson(exchange, 200, limits);
                return 200;
            }
            case "/v1/models" -> {
                authorize(exchange);
                requireMethod(exchange, method, "GET", path);
                Http.sendJson(exchange, 200, Map.of("object", "list", "data", List.of(modelObject())));
                return 200;
            }
            case "/v1/chat/completions" -> {
                authorize(exchange);
                requireMethod(exchange, method, "POST", path);
                RequestGuard.requireJson(exchange);
                byte[] body = Http.readBody(exchange, options.maxBodyBytes(), options.bodyTimeout(), watchdog);
                return chat.handle(exchange, body, received);
            }
            default -> {
                if (path.equals("/v1/models/" + options.modelId())) {
                    authorize(exchange);
                    requireMethod(exchange, method, "GET", path);
                    Http.sendJson(exchange, 200, modelObject());
                    return 200;
                }
                if (path.startsWith("/v1/")) authorize(exchange);
                if (path.startsWith("/v1/models/") && method.equals("GET")) {   // as OpenAI answers a model it does not serve
                    throw ApiException.modelNotFound("the model '" + ChatRequestParser.abbreviate(path.substring("/v1/models/".length()), 100)
                            + "' does not exist on this server; it serves '" + options.modelId() + "'");
                }
                throw ApiException.notFound("no route for " + ChatRequestParser.abbreviate(method, 20) + " "
                        + ChatRequestParser.abbreviate(path, 200)
                        + " (this server has GET / (the chat page), POST /v1/chat/completions, GET /v1/models, GET /v1/limits, GET /health, GET /metrics)");
            }
        }
    }

    /** What {@code GET /v1/limits} reports: what a request may hold, and the pixel budgets parts get by default. */
    private static Map<String, Object> limits(Qwen2VL model, ServerOptions options) {
        var pre = model.processor().preprocessor();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_body_bytes", options.maxBodyBytes());
        m.put("max_media_items", options.maxMediaItems());
        m.put("max_image_pixels", InferenceEngine.MAX_IMAGE_PIXELS);
        long[] bounds = model.processor().imagePixelBounds();
        m.put("min_pixels", bounds[0]);
        m.put("max_pixels", bounds[1]);
        m.put("pixels_per_token", (long) pre.factor() * pre.factor());
        m.put("context_length", model.contextLength());
        return m;
    }

    private Map<String, Object> modelObject() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", options.modelId());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "qwen2vl4j");
        return m;
    }

    /**
     * Refuses a method other than {@code expected} with 405 and an {@code Allow} header; HEAD is taken where GET is (the
     * answer then has the GET answer's headers and no body: {@link Http#send}).
     */
    private static void requireMethod(HttpExchange exchange, String method, String expected, String path) {
        if (method.equals(expected) || (method.equals("HEAD") && expected.equals("GET"))) return;
        exchange.getResponseHeaders().set("Allow", expected.equals("GET") ? "GET, HEAD" : expected);
        throw ApiException.methodNotAllowed(path + " takes " + expected + ", not " + ChatRequestParser.abbreviate(method, 20));
    }

    /** With an API key set, requires {@code Authorization: Bearer KEY} (compared in constant time). */
    private void authorize(HttpExchange exchange) {
        if (apiKey == null) return;
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("missing API key: send the header 'Authorization: Bearer YOUR_KEY'");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, apiKey)) throw ApiException.unauthorized("incorrect API key");
    }

    /**
     * Sends the error; closing the response reads and drops what is left of the request body, so this is bounded by
     * the body time limit: a client that stalls after an early answer (401, 415, 421, ...) cannot hold the thread.
     */
    private void respondError(HttpExchange exchange, ApiException e) {
        try (Watchdog.Armed drain = watchdog.arm(options.bodyTimeout())) {
            if (e.status() == 401) exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            Http.sendError(exchange, e);
        } catch (IOException | RuntimeException ignored) {
            // headers were already sent or the client is gone: nothing more can be said
        }
    }

    private static String endpointName(String path) {
        return switch (path) {
            case "/v1/chat/completions" -> "chat_completions";
            case "/v1/models" -> "models";
            case "/health" -> "health";
            case "/metrics" -> "metrics";
            default -> "other";
        };
    }
}
