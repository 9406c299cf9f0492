package qwen2vl4j.spark;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.text.ContinuousBatcher;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): each {@link ModelSpec} is loaded once,
 * on first use, and shared by every task and thread of the JVM (the weights are memory-mapped, so their pages are
 * shared too). Nothing here is ever serialised: tasks carry only the spec. With each model goes one
 * {@link ContinuousBatcher} per batch size, so the concurrent tasks of one executor decode in the same batched steps.
 */
public final class ExecutorModels {
    private static final Map<ModelSpec, CompletableFuture<Qwen2VL>> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, ContinuousBatcher> BATCHERS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final Map<ModelSpec, AtomicInteger> LOADS_BY_SPEC = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /**
     * The model for {@code spec}, loaded by the first caller (others wait for it). A failed load is not kept: the
     * next call tries again.
     *
     * @throws qwen2vl4j.io.ModelLoadException and the like, as {@link Qwen2VL#load(String, qwen2vl4j.LoadOptions)}
     */
    public static Qwen2VL model(ModelSpec spec) {
        CompletableFuture<Qwen2VL> mine = new CompletableFuture<>();
        CompletableFuture<Qwen2VL> existing = MODELS.putIfAbsent(spec, mine);
        if (existing == null) {
            try {
                Qwen2VL model = Qwen2VL.load(spec.model(), spec.loadOptions());
                LOADS.incrementAndGet();
                LOADS_BY_SPEC.computeIfAbsent(spec, k -> new AtomicInteger()).incrementAndGet();
                mine.complete(model);
            } catch (RuntimeException | Error e) {
                MODELS.remove(spec, mine);
                mine.completeExceptionally(e);
                throw e;
            }
            return mine.join();
        }
        try {
            return existing.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    /** The decode batcher of {@code spec}'s model that runs up to {@code maxBatch} sessions in one step. */
    static ContinuousBatcher batcher(ModelSpec spec, int maxBatch) {
        Qwen2VL model = model(spec);
        return BATCHERS.computeIfAbsent(spec + "#" + maxBatch, k -> new ContinuousBatcher(model.text(), maxBatch, "qwen2vl4j-spark-decode", null));
    }

    /** How many models this JVM has loaded so far (a model is loaded once however many tasks use it). */
    public static int loads() {
        return LOADS.get();
    }

    /** How many times this JVM has loaded {@code spec}'s model (1 once used, however many tasks use it). */
    public static int loads(ModelSpec spec) {
        AtomicInteger n = LOADS_BY_SPEC.get(spec);
        return n == null ? 0 : n.get();
    }

    /** The largest batch any decode step of this JVM has run so far. */
    public static int largestBatch() {
        int max = 0;
        for (ContinuousBatcher b : BATCHERS.values()) max = Math.max(max, b.largestBatch());
        return max;
    }

    /** Decode steps this JVM has run so far (batched or not). */
    public static long decodeSteps() {
        long n = 0;
        for (ContinuousBatcher b : BATCHERS.values()) n += b.steps();
        return n;
    }
}
