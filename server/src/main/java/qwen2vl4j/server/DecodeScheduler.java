package qwen2vl4j.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import qwen2vl4j.text.BatchDecoder;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;

/**
 * Continuous batching: one thread runs the decode steps of every generation in progress together
 * ({@link BatchDecoder}). Each generation runs its own loop (sampling, stop checks, streaming) on its own thread
 * and hands its next token to {@link #step}, which blocks until the batched step has produced its logits.
 * Generations join after their prefill ({@link #join}) and leave when done ({@link #leave}); a step waits a short
 * while for the other members' tokens so that they share one batch, then runs with whatever has arrived.
 */
final class DecodeScheduler implements AutoCloseable {
    private static final long GATHER_NANOS = 3_000_000;

    private final TextModel model;
    private final int maxBatch;
    private final Metrics metrics;
    private final Object lock = new Object();
    private final ArrayDeque<Step> pending = new ArrayDeque<>();
    private final Thread worker;
    private int members;
    private boolean closed;

    private static final class Step {
        final TextSession session;
        final int token;
        float[] logits;
        RuntimeException error;
        boolean done;

        Step(TextSession session, int token) {
            this.session = session;
            this.token = token;
        }
    }

    DecodeScheduler(TextModel model, int maxBatch, Metrics metrics) {
        this.model = model;
        this.maxBatch = maxBatch;
        this.metrics = metrics;
        this.worker = Thread.ofPlatform().name("qwen2vl4j-decode").daemon().start(this::loop);
    }

    /** A generation enters its decode phase: steps wait for its tokens too. */
    void join() {
        synchronized (lock) {
            members++;
        }
    }

    /** A generation ended (finished, failed or cancelled). */
    void leave() {
        synchronized (lock) {
            members--;
            lock.notifyAll();
        }
    }

    /** Feeds {@code token} to {@code session} in the next batched step; returns the logits after it. */
    float[] step(TextSession session, int token) {
        Step step = new Step(session, token);
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the server is shutting down");
            pending.add(step);
            lock.notifyAll();
            try {
                while (!step.done) lock.wait();
            } catch (InterruptedException e) {
                pending.remove(step);
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while waiting for a decode step");
            }
        }
        if (step.error != null) throw step.error;
        return step.logits;
    }

    private void loop() {
        while (true) {
            List<Step> batch = new ArrayList<>();
            synchronized (lock) {
                try {
                    while (pending.isEmpty() && !closed) lock.wait();
                    if (closed && pending.isEmpty()) return;
                    long deadline = System.nanoTime() + GATHER_NANOS;
                    while (pending.size() < Math.min(members, maxBatch) && !closed) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) break;
                        lock.wait(left / 1_000_000, (int) (left % 1_000_000));
                    }
                } catch (InterruptedException e) {
                    return;
                }
                while (!pending.isEmpty() && batch.size() < maxBatch) batch.add(pending.poll());
            }
            run(batch);
            synchronized (lock) {
                for (Step s : batch) s.done = true;
                lock.notifyAll();
            }
        }
    }

    private void run(List<Step> batch) {
        List<TextSession> sessions = new ArrayList<>(batch.size());
        int[] tokens = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            sessions.add(batch.get(i).session);
            tokens[i] = batch.get(i).token;
        }
        try {
            float[][] logits = BatchDecoder.decode(model, sessions, tokens);
            for (int i = 0; i < batch.size(); i++) batch.get(i).logits = logits[i];
            metrics.decodeStep(batch.size());
        } catch (RuntimeException e) {
            // one bad row must not fail the others: run each on its own
            for (Step s : batch) {
                try {
                    s.logits = s.session.decode(s.token);
                } catch (RuntimeException single) {
                    s.error = single;
                }
            }
        } catch (Error e) {
            // e.g. out of memory: fail this step's generations, keep the thread serving the others
            for (Step s : batch) if (s.logits == null) s.error = new IllegalStateException("decode step failed: " + e, e);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
