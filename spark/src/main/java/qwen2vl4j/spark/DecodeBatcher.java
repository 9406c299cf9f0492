package qwen2vl4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import qwen2vl4j.text.BatchDecoder;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;

/**
 * Continuous batching for one model in one JVM, as the server's DecodeScheduler does it: every generation runs its own
 * loop (sampling, stop checks) on its own thread and hands its next token to {@link #step}; one daemon thread runs the
 * pending tokens of all generations together through {@link BatchDecoder}. Generations {@link #join} after their
 * prefill and {@link #leave} when done, so a finished row's place is taken by the next row as soon as its prefill is
 * done. A step waits a few milliseconds for the other members' tokens, then runs with whatever has arrived.
 *
 * <p>Prefills and decode steps take turns ({@link #compute}, a fair lock): each runs alone, split over every core by
 * the kernels' pool, instead of several threads contending for the cores (the pool serves one caller at a time and
 * runs the others' work single-threaded). Reading and preprocessing images stays concurrent.
 */
final class DecodeBatcher {
    private static final long GATHER_NANOS = 3_000_000;

    private final TextModel model;
    private final int maxBatch;
    private final Object lock = new Object();
    private final ArrayDeque<Step> pending = new ArrayDeque<>();
    private final ReentrantLock compute = new ReentrantLock(true);
    private final AtomicInteger largest = new AtomicInteger();
    private final AtomicLong steps = new AtomicLong();
    private int members;

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

    DecodeBatcher(TextModel model, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("sessions decoded together must be at least 1, got " + maxBatch);
        this.model = model;
        this.maxBatch = maxBatch;
        Thread.ofPlatform().name("qwen2vl4j-spark-decode").daemon().start(this::loop);
    }

    void join() {
        synchronized (lock) {
            members++;
        }
    }

    void leave() {
        synchronized (lock) {
            members--;
            lock.notifyAll();
        }
    }

    /** Runs {@code work} (a prefill) between decode steps, alone on the cores. */
    <T> T compute(Supplier<T> work) {
        compute.lock();
        try {
            return work.get();
        } finally {
            compute.unlock();
        }
    }

    /** The largest number of sessions one step has run. */
    int largestBatch() {
        return largest.get();
    }

    /** Steps run so far. */
    long steps() {
        return steps.get();
    }

    /** Feeds {@code token} to {@code session} in the next batched step; returns the logits after it. */
    float[] step(TextSession session, int token) {
        Step step = new Step(session, token);
        synchronized (lock) {
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
                    while (pending.isEmpty()) lock.wait();
                    long deadline = System.nanoTime() + GATHER_NANOS;
                    while (pending.size() < Math.min(members, maxBatch)) {
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
        steps.incrementAndGet();
        largest.accumulateAndGet(batch.size(), Math::max);
        compute.lock();
        try {
            float[][] logits = BatchDecoder.decode(model, sessions, tokens);
            for (int i = 0; i < batch.size(); i++) batch.get(i).logits = logits[i];
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
            for (Step s : batch) if (s.logits == null) s.error = new IllegalStateException("decode step failed: " + e, e);
        } finally {
            compute.unlock();
        }
    }
}
