package qwen2vl4j.spark;

import java.io.Serializable;
import java.util.Iterator;
import qwen2vl4j.Qwen2VL;

/**
 * The engine as a plain function over a partition's rows, for {@code Dataset.mapPartitions} (or any iterator): it
 * answers each {@link RowRequest} with a {@link RowResult}, in input order, one result per row. Serialisable: it
 * carries only the model's {@link ModelSpec}, the {@link Decoding} and the batch size; the model is loaded once per
 * JVM ({@link ExecutorModels}).
 *
 * <p>Up to {@code sessions} rows are in generation at once, each on a worker thread of its own: a worker decodes and
 * preprocesses its row's image, runs the vision tower and the prefill, then joins the JVM's batched decode steps;
 * when its row finishes it takes the next one (continuous batching), so rows are preprocessed while the others
 * decode. A row whose image cannot be read, or whose prompt does not fit the context, gets an error result; the
 * other rows are answered. Answers equal {@link Qwen2VL#generate} for the same image, prompt and parameters.
 *
 * <pre>{@code
 * PartitionGenerator gen = new PartitionGenerator(ModelSpec.of("Qwen/Qwen2-VL-2B-Instruct"), Decoding.greedy(128), 4);
 * // inside a mapPartitions function of your own (or any Iterator of rows):
 * PartitionRun answers = gen.apply(requests);   // Iterator<RowResult>, one per request, in order
 * }</pre>
 */
public final class PartitionGenerator implements Serializable {
    private final ModelSpec model;
    private final Decoding decoding;
    private final int sessions;

    /**
     * @param sessions rows generated together (decoded in one batched step); at least 1
     */
    public PartitionGenerator(ModelSpec model, Decoding decoding, int sessions) {
        if (model == null) throw new IllegalArgumentException("model must be given");
        if (decoding == null) throw new IllegalArgumentException("decoding must be given");
        if (sessions < 1 || sessions > 256) throw new IllegalArgumentException("sessions must be in [1, 256], got " + sessions);
        this.model = model;
        this.decoding = decoding;
        this.sessions = sessions;
    }

    public ModelSpec model() {
        return model;
    }

    public Decoding decoding() {
        return decoding;
    }

    public int sessions() {
        return sessions;
    }

    /**
     * The answers to {@code rows}, in order. The returned iterator reads {@code rows} on the caller's thread (a Spark
     * task's), a few rows ahead of what it has returned; it stops its worker threads when exhausted or
     * {@link PartitionRun#close() closed}.
     *
     * @throws qwen2vl4j.io.ModelLoadException when the model cannot be loaded (the whole task fails: a configuration
     *                                         error, not a row's)
     */
    public PartitionRun apply(Iterator<RowRequest> rows) {
        Qwen2VL loaded = ExecutorModels.model(model);
        return new PartitionRun(loaded, ExecutorModels.batcher(model, sessions), decoding.params(loaded), sessions, rows);
    }
}
