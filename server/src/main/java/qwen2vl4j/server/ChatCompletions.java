package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.generate.Usage;
import qwen2vl4j.grounding.Box;

/**
 * {@code POST /v1/chat/completions}: validates the request, waits for a slot, generates, and answers with one
 * {@code chat.completion} object or, for {@code stream: true}, with {@code chat.completion.chunk} events as OpenAI
 * sends them: the role first, then content deltas, a chunk with the finish reason, optionally a usage chunk,
 * and {@code data: [DONE]}. A streaming client that goes away stops its generation at the next token.
 */
final class ChatCompletions {
    private static final Logger LOG = Logger.getLogger(ChatCompletions.class.getName());

    private final InferenceEngine engine;
    private final ChatRequestParser parser;
    private final Admission admission;
    private final Metrics metrics;
    private final ServerOptions options;
    private final Watchdog watchdog;

    /** Thrown from the token listener when the client cannot be written to: ends the generation. */
    static final class ClientGoneException extends RuntimeException {
        ClientGoneException(IOException cause) {
            super("client went away: " + cause.getMessage(), cause, false, false);
        }
    }

    /** Thrown from the token listener when the request's time limit has passed: the answer ends there. */
    static final class TimeLimitException extends RuntimeException {
        TimeLimitException() {
            super("request time limit reached", null, false, false);
        }
    }

    ChatCompletions(InferenceEngine engine, ChatRequestParser parser, Admission admission, Metrics metrics, ServerOptions options,
                    Watchdog watchdog) {
        this.engine = engine;
        this.parser = parser;
        this.admission = admission;
        this.metrics = metrics;
        this.options = options;
        this.watchdog = watchdog;
    }

    /** What a generation produced: the whole answer, or the part before the time limit. */
    record Answer(String text, String finishReason, Usage usage, int[] ids) {
    }

    /**
     * Generates, telling {@code sink} each text delta; the request's time limit cuts the answer short with
     * finish_reason "length". Exceptions from the sink (a client gone) end the generation and propagate.
     */
    private Answer generate(ModelInputs inputs, ChatRequest request, long receivedNanos, java.util.function.Consumer<String> sink) {
        return generate(inputs, request, receivedNanos, sink, () -> { });
    }

    /**
     * As above; {@code beat} runs between the stages (vision, prefill) and at every token besides the sink, as does the
     * time limit: the hook that ends a request whose client left or whose time is up wherever it is.
     */
    private Answer generate(ModelInputs inputs, ChatRequest request, long receivedNanos, java.util.function.Consumer<String> sink,
                            Runnable beat) {
        long deadline = receivedNanos + options.requestTimeout().toNanos();
        StringBuilder text = new StringBuilder();
        int[] tokens = {0}, cached = {0};
        int[][] ids = {new int[64]};
        TokenListener listener = (tokenId, delta) -> {
            if (tokens[0] == ids[0].length) ids[0] = java.util.Arrays.copyOf(ids[0], tokens[0] * 2);
            ids[0][tokens[0]] = tokenId;
            if (tokens[0]++ == 0) metrics.firstToken((System.nanoTime() - receivedNanos) / 1e9);
            metrics.generated(1);
            text.append(delta);
            if (!delta.isEmpty()) sink.accept(delta);
            if (System.nanoTime() > deadline) throw new TimeLimitException();
        };
        try {
            Runnable checkpoint = () -> {
                beat.run();
                if (System.nanoTime() > deadline) throw new TimeLimitException();
            };
            // the checkpoint also runs after every vision block and prefill piece (GenerationProgress), so a request
            // whose time is up or whose client left stops inside the vision tower and the prefill too
            GenerationProgress outer = GenerationProgress.CURRENT.isBound() ? GenerationProgress.CURRENT.get() : null;
            GenerationProgress withCheckpoint = (stage, done, total, count) -> {
                if (outer != null) outer.progress(stage, done, total, count);
                checkpoint.run();
            };
            GenerationResult result = GenerationProgress.during(withCheckpoint,
                    () -> engine.generate(inputs, request.params(), listener, checkpoint, n -> cached[0] = n));
            return new Answer(result.text(), result.finishReason().openAiName(), result.usage(), result.ids());
        } catch (TimeLimitException e) {
            int prompt = inputs.ids().length;
            Usage usage = new Usage(prompt, inputs.imageTokens(), inputs.videoTokens(), tokens[0], prompt + tokens[0], cached[0]);
            return new Answer(text.toString(), "length", usage, java.util.Arrays.copyOf(ids[0], tokens[0]));
        }
    }

    /**
     * The request's model inputs. A video file's decoding reports every few frames, and stops there once the request's
     * time limit has passed: a 408, where a generation at its limit ends with what it has (nothing is generated yet).
     */
    private ModelInputs prepare(ChatRequest request, long receivedNanos) {
        long deadline = receivedNanos + options.requestTimeout().toNanos();
        GenerationProgress timeLimit = (stage, done, total, tokens) -> {
            if (System.nanoTime() > deadline) {
                throw Http.requestTimeout("the request's video was still being decoded (frame " + done + " of " + total
                        + ") at its time limit of " + options.requestTimeout().toSeconds() + " s (the server's --request-timeout)");
            }
        };
        return GenerationProgress.during(timeLimit, () -> engine.prepare(request.messages()));
    }

    /** Answers; returns the HTTP status sent (499 when the client went away mid-stream). */
    int handle(HttpExchange exchange, byte[] body, long receivedNanos) throws IOException {
        ChatRequest request = parser.parse(Http.parseJson(body));
        try (Admission.Ticket ticket = admission.enter()) {
            ModelInputs inputs = prepare(request, receivedNanos);
            metrics.prompt(inputs.ids().length, inputs.imageTokens(), inputs.videoTokens());
            String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
            long created = System.currentTimeMillis() / 1000;
            String model = request.model().isEmpty() ? options.modelId() : request.model();
            return request.stream()
                    ? stream(exchange, request, inputs, id, created, model, receivedNanos)
                    : complete(exchange, request, inputs, id, created, model, receivedNanos);
        }
    }

    private int complete(HttpExchange exchange, ChatRequest request, ModelInputs inputs, String id, long created,
                         String model, long receivedNanos) throws IOException {
        Heartbeat beat = new Heartbeat(exchange, watchdog, options.writeTimeout());
        Answer answer;
        try {
            answer = generate(inputs, request, receivedNanos, delta -> beat.tick(), beat::tick);
        } catch (ClientGoneException e) {
            metrics.cancelled();
            return 499;
        } catch (ApiException e) {
            if (!beat.committed()) throw e;
            beat.finish(e.body());
            return e.status();
        } catch (RuntimeException | Error e) {
            if (!beat.committed()) throw e;
            String requestId = exchange.getResponseHeaders().getFirst("X-Request-Id");
            LOG.log(Level.SEVERE, "generation of request " + requestId + " failed", e);
            beat.finish(ApiException.internal("generation failed (request id " + requestId + "); the server logged it with this id").body());
            return 500;
        }
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "assistant");
        message.put("content", answer.text());
        message.put("refusal", null);
        List<Map<String, Object>> boxes = boxes(answer, inputs);
        if (!boxes.isEmpty()) message.put("boxes", boxes);
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", message);
        choice.put("logprobs", null);
        choice.put("finish_reason", answer.finishReason());
        Map<String, Object> response = envelope(id, "chat.completion", created, model);
        response.put("choices", List.of(choice));
        response.put("usage", usage(answer.usage()));
        if (beat.committed()) beat.finish(response);
        else Http.sendJson(exchange, 200, response);
        return 200;
    }

    private int stream(HttpExchange exchange, ChatRequest request, ModelInputs inputs, String id, long created,
                       String model, long receivedNanos) throws IOException {
        SseStream sse = SseStream.open(exchange, watchdog, options.writeTimeout());
        try {
            Map<String, Object> role = new LinkedHashMap<>();
            role.put("role", "assistant");
            role.put("content", "");
            sse.send(chunk(id, created, model, role, null, request.includeUsage()));
            Answer result = GenerationProgress.during(progressComments(sse), () -> generate(inputs, request, receivedNanos, delta -> {
                try {
                    sse.send(chunk(id, created, model, Map.of("content", delta), null, request.includeUsage()));
                } catch (IOException e) {
                    throw new ClientGoneException(e);
                }
            }));
            List<Map<String, Object>> boxes = boxes(result, inputs);
            sse.send(chunk(id, created, model, boxes.isEmpty() ? Map.of() : Map.of("boxes", boxes), result.finishReason(),
                    request.includeUsage()));
            if (request.includeUsage()) {
                Map<String, Object> last = envelope(id, "chat.completion.chunk", created, model);
                last.put("choices", List.of());
                last.put("usage", usage(result.usage()));
                sse.send(last);
            }
            sse.done();
            return 200;
        } catch (ClientGoneException | IOException e) {
            metrics.cancelled();
            return 499;
        } catch (ApiException e) {
            sendQuietly(sse, e.body());
            return e.status();
        } catch (Throwable e) {
            // headers are out: the error can only be the stream's last event; the id ties it to the log
            String requestId = exchange.getResponseHeaders().getFirst("X-Request-Id");
            LOG.log(Level.SEVERE, "generation of request " + requestId + " failed", e);
            sendQuietly(sse, ApiException.internal("generation failed (request id " + requestId + "); the server logged it with this id").body());
            return 500;
        }
    }

    /**
     * SSE comments ({@code : progress vision 3/32 blocks}, {@code : progress prefill 1024/4096 tokens}) while the vision
     * tower and a prefill of more than one 512-token piece run, at most one per {@link #PROGRESS_NANOS}.
     */
    private static GenerationProgress progressComments(SseStream sse) {
        long[] last = {0};
        return (stage, done, total, tokens) -> {
            if (stage == GenerationProgress.Stage.PREFILL && total <= 512) return;
            long now = System.nanoTime();
            if (done > 0 && done < total && now - last[0] < PROGRESS_NANOS) return;
            last[0] = now;
            String text = switch (stage) {
                case VIDEO -> "progress video " + done + "/" + total + " frames";
                case VISION -> "progress vision " + done + "/" + total + " blocks (" + tokens + " tokens)";
                case PREFILL -> "progress prefill " + done + "/" + total + " tokens";
            };
            try {
                sse.comment(text);
            } catch (IOException e) {
                throw new ClientGoneException(e);
            }
        };
    }

    private static final long PROGRESS_NANOS = 200_000_000L;

    /** The answer's grounding boxes, as {@link ModelInputs#boxes} reads them. */
    private List<Map<String, Object>> boxes(Answer answer, ModelInputs inputs) {
        return inputs.boxes(engine.decodeWithSpecialTokens(answer.ids())).stream().map(Box::toMap).toList();
    }

    /** After the 200 headers went out an error can only be an event; the stream then ends. */
    private static void sendQuietly(SseStream sse, Object event) {
        try {
            sse.send(event);
            sse.done();
        } catch (IOException ignored) {
            // the client is gone as well
        }
    }

    private static Map<String, Object> chunk(String id, long created, String model, Map<String, Object> delta, String finishReason,
                                             boolean includeUsage) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("logprobs", null);
        choice.put("finish_reason", finishReason);
        Map<String, Object> chunk = envelope(id, "chat.completion.chunk", created, model);
        List<Object> choices = new ArrayList<>();
        choices.add(choice);
        chunk.put("choices", choices);
        if (includeUsage) chunk.put("usage", null);
        return chunk;
    }

    private static Map<String, Object> envelope(String id, String object, long created, String model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("system_fingerprint", "qwen2vl4j");
        return m;
    }

    /** OpenAI's usage object; image and video token counts go into {@code prompt_tokens_details}. */
    static Map<String, Object> usage(Usage u) {
        Map<String, Object> details = new HashMap<>();
        details.put("cached_tokens", u.cachedTokens());
        details.put("image_tokens", u.imageTokens());
        details.put("video_tokens", u.videoTokens());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_tokens", u.promptTokens());
        m.put("completion_tokens", u.completionTokens());
        m.put("total_tokens", u.totalTokens());
        m.put("prompt_tokens_details", details);
        return m;
    }
}
