package qwen2vl4j.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Generator;
import qwen2vl4j.generate.LogitsSource;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.text.ContinuousBatcher;
import qwen2vl4j.text.TextSession;

/** One partition in progress ({@link PartitionGenerator#apply}): an iterator of results in input order. */
public final class PartitionRun implements Iterator<RowResult>, AutoCloseable {
    private static final Job STOP = new Job(-1, null);

    private record Job(long index, RowRequest request) {}

    private final Qwen2VL model;
    private final ContinuousBatcher batcher;
    private final SamplingParams params;
    private final Generator generator;
    private final Iterator<RowRequest> rows;
    private final int workers;
    private final int window;
    private final LinkedBlockingQueue<Job> todo = new LinkedBlockingQueue<>();
    private final Map<Long, RowResult> done = new HashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private long submitted;
    private long returned;
    private volatile boolean closed;

    PartitionRun(Qwen2VL model, ContinuousBatcher batcher, SamplingParams params, int workers, Iterator<RowRequest> rows) {
        this.model = model;
        this.batcher = batcher;
        this.params = params;
        this.generator = model.generator();
        this.rows = rows;
        this.workers = workers;
        this.window = 2 * workers;
    }

    @Override
    public boolean hasNext() {
        if (closed) return false;
        topUp();
        if (returned < submitted) return true;
        close();
        return false;
    }

    @Override
    public RowResult next() {
        if (!hasNext()) throw new NoSuchElementException("no more rows in this partition");
        synchronized (done) {
            try {
                while (!done.containsKey(returned)) done.wait();
            } catch (InterruptedException e) {
                close();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for row " + returned + " of the partition", e);
            }
            return done.remove(returned++);
        }
    }

    /** Stops the worker threads (rows not yet answered are dropped). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        todo.clear();
        for (int i = 0; i < threads.size(); i++) todo.add(STOP);
    }

    /** Reads rows (on the caller's thread) until {@code window} rows are in flight. */
    private void topUp() {
        while (submitted - returned < window && rows.hasNext()) {
            if (threads.size() < workers) {
                threads.add(Thread.ofPlatform().name("qwen2vl4j-spark-row-" + threads.size()).daemon().start(this::work));
            }
            todo.add(new Job(submitted++, rows.next()));
        }
    }

    private void work() {
        while (true) {
            Job job;
            try {
                job = todo.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == STOP || closed) return;
            RowResult result;
            try {
                result = answer(job.request());
            } catch (Throwable e) {     // never leave next() waiting for a row whose thread died (e.g. a LinkageError)
                result = RowResult.failed(job.request().name() + ": internal error: " + e);
            }
            synchronized (done) {
                done.put(job.index(), result);
                done.notifyAll();
            }
        }
    }

    private RowResult answer(RowRequest row) {
        if (row.error() != null) return RowResult.failed(row.name() + ": " + row.error());
        try {
            List<Message> messages = List.of(new Message("user",
                    List.of(new ContentPart.Image(row.image()), new ContentPart.Text(row.prompt()))));
            ModelInputs inputs = ModelSteps.prepare(model, messages);
            GenerationResult r = generate(inputs);
            String special = model.tokenizer().decodeGenerated(r.ids(), false);
            return new RowResult(r.text(), inputs.boxes(special), inputs.ids().length, inputs.imageTokens(),
                    r.ids().length, r.finishReason().openAiName(), null);
        } catch (RuntimeException e) {
            return RowResult.failed(row.name() + ": " + describe(e));
        } catch (OutOfMemoryError e) {
            return RowResult.failed(row.name() + ": out of memory while answering this row (" + e.getMessage() + ")");
        }
    }

    private GenerationResult generate(ModelInputs inputs) {
        TextSession session = model.newSession();
        SamplingParams bounded = params.withMaxNewTokensAtMost(model.contextLength() - inputs.ids().length);
        boolean[] joined = {false};
        LogitsSource source = new LogitsSource() {
            @Override
            public float[] prefill() {
                float[] logits = batcher.compute(() -> ModelSteps.prefill(model, inputs, session));
                batcher.join();
                joined[0] = true;
                return logits;
            }

            @Override
            public float[] next(int tokenId) {
                return batcher.step(session, tokenId);
            }
        };
        try {
            return generator.generate(source, inputs.ids(), bounded, null);
        } finally {
            if (joined[0]) batcher.leave();
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
