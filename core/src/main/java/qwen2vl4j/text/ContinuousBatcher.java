package qwen2vl4j.text;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Continuous batching for one model: every generation runs its own loop (sampling, stop checks, streaming) on its own
 * thread and hands its next token to {@link #step}, which blocks until one worker thread has run the pending tokens of
 * all generations together through {@link BatchDecoder} and returns this generation's logits. Generations {@link #join}
 * after their prefill and {@link #leave} when done (finished, failed or cancelled), so a finished generation's place is
 * taken by the next one as soon as that one's prefill is done. A step waits a few milliseconds for the other members'
 * tokens so that they share one batch, then runs with whatever has arrived. The server and the Spark job both decode
 * through this class.
 *
 * <p>A batched step that throws does not fail its other rows: each row is then run on its own and only the failing
 * one gets the error. An {@link Error} (out of memory) fails that step's rows and leaves the worker serving the others.
 *
 * <p>{@link #compute} runs other work (a prefill) between decode steps behind a fair lock, alone on the cores: the
 * kernels' pool serves one caller at a time and runs the others' work single-threaded, so two callers contending for
 * it would both be slow.
 */
public final class ContinuousBatcher implements AutoCloseable {
    /** How long a step waits for the other members' tokens. */
    private static final long GATHER_NANOS = 3_000_000;

    private final TextModel model;
    private final int maxBatch;
    private final IntConsumer onStep;
    private final Object lock = new Object();
    private final ArrayDeque<Step> pending = new ArrayDeque<>();
    private final ReentrantLock compute = new ReentrantLock(true);
    private final AtomicInteger largest = new AtomicInteger();
    private final AtomicLong steps = new AtomicLong();
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

    /**
     * A batcher of at most {@code maxBatch} sessions per step whose worker thread is named {@code threadName};
     * {@code onStep} (may be null) is told the number of rows of every batched step that succeeded (on the worker
     * thread; what it throws is ignored).
     *
     * @throws IllegalArgumentException when {@code maxBatch} is below 1
     */
    public ContinuousBatcher(TextModel model, int maxBatch, String threadName, IntConsumer onStep) {
        if (maxBatch < 1) throw new IllegalArgumentException("sessions decoded together must be at least 1, got " + maxBatch);
        this.model = model;
        this.maxBatch = maxBatch;
        this.onStep = onStep == null ? rows -> {} : onStep;
        this.worker = Thread.ofPlatform().name(threadName).daemon().start(this::loop);
    }

    /** A generation enters its decode phase: steps wait for its tokens too. */
    public void join() {
        synchronized (lock) {
            members++;
        }
    }

    /** A generation ended (finished, failed or cancelled). */
    public void leave() {
        synchronized (lock) {
            members--;
            lock.notifyAll();
        }
    }

    /** Runs {@code work} (a prefill) between decode steps, alone on the cores. */
    public <T> T compute(Supplier<T> work) {
        compute.lock();
        try {
            return work.get();
        } finally {
            compute.unlock();
        }
    }

    /** The largest number of sessions one step has run. */
    public int largestBatch() {
        return largest.get();
    }

    /** Steps run so far. */
    public long steps() {
        return steps.get();
    }

    /**
     * Feeds {@code token} to {@code session} in the next batched step; returns the logits after it.
     *
     * @throws IllegalStateException  when the batcher is closed
     * @throws CancellationException  when the calling thread is interrupted while it waits (its token is withdrawn
     *                                if the step has not taken it yet)
     * @throws RuntimeException       what {@link TextSession#decode} throws for this session and token
     */
    public float[] step(TextSession session, int token) {
        Step step = new Step(session, token);
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the decode batcher is closed (the engine is shutting down)");
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
        steps.incrementAndGet();
        largest.accumulateAndGet(batch.size(), Math::max);
        boolean batched = false;
        compute.lock();
        try {
            float[][] logits = BatchDecoder.decode(model, sessions, tokens);
            for (int i = 0; i < batch.size(); i++) batch.get(i).logits = logits[i];
            batched = true;
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
        } finally {
            compute.unlock();
        }
        if (!batched) return;
        try { // outside the step's try: a listener that throws must not decode the rows again, nor stop the worker
            onStep.accept(batch.size());
        } catch (RuntimeException listenerFailed) {
            // the count is lost, the generations are not
        }
    }

    /** Lets the steps already pending finish, then stops the worker (waits up to 10 s); later steps are refused. */
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
