package qwen2vl4j.kernels;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads every large kernel is split across: {@link #threads()}{@code  - 1} workers created once,
 * plus the calling thread, which takes its share of the work. A call hands out {@code tasks}
 * independent pieces, numbered {@code 0..tasks-1}, which the participants claim one at a time, and
 * returns when all are done. Nothing is allocated per call.
 *
 * <p>A decode step makes about a hundred such calls, each a fraction of a millisecond long, so the
 * hand-over has to cost microseconds: after a call the workers spin for {@link #SPIN_NANOS} waiting
 * for the next one, and only then park (a parked worker takes tens of microseconds to wake). One
 * caller uses the workers at a time; a call made meanwhile by another thread, or from inside a task,
 * runs its tasks on its own thread.
 */
public final class ComputePool {
    /** The most threads a call can be split across: one per available processor, the caller included. */
    public static final int MAX_THREADS = Runtime.getRuntime().availableProcessors();
    /** Threads a call is split across now, the caller included ({@link #setThreads}). */
    private static volatile int active = MAX_THREADS;

    /** How long an idle worker spins for the next call before it parks. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    /** Held by the thread whose call the workers are serving. */
    private static final ReentrantLock OWNER = new ReentrantLock();
    /** The current call: its generation in the upper 32 bits, the next unclaimed task in the lower 32. */
    private static final AtomicLong CLAIM = new AtomicLong();
    /** Tasks of the current call finished so far. */
    private static final AtomicLong FINISHED = new AtomicLong();
    private static final Worker[] WORKERS = new Worker[Math.max(0, MAX_THREADS - 1)];

    /** The current call's body and task count: written before its generation is published, read after a claim. */
    private static Body body;
    private static int tasks;
    /** While the threads are lent ({@link #borrow}): workers waiting for a call park at once instead of spinning. */
    private static volatile boolean lent;
    /** The first failure of a task in the current call, rethrown to the caller. */
    private static volatile Throwable failure;

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker("qwen2vl4j-compute-" + (i + 1), i);
            WORKERS[i].start();
        }
    }

    private ComputePool() {}

    /** Threads a call is split across, the caller included: {@link #MAX_THREADS} unless {@link #setThreads} lowered it. */
    public static int threads() {
        return active;
    }

    /**
     * Splits later calls across {@code threads} threads, the caller included (the others park); the pool is
     * shared by every model in the JVM, so this is one budget for the whole engine.
     *
     * @throws IllegalArgumentException unless {@code 1 <= threads <= MAX_THREADS}
     */
    public static void setThreads(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be in [1, " + MAX_THREADS + "] (the available processors), got " + threads);
        }
        active = threads;
    }

    /** One numbered piece of a split computation. */
    @FunctionalInterface
    public interface Body {
        void run(int task);
    }

    /** A piece of split work: the items {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Work that brings its own threads, run by {@link #borrow}. */
    @FunctionalInterface
    public interface Loan {
        void run(int threads);
    }

    /**
     * Lends the engine's thread budget to work that runs on threads of its own (a native library's OpenMP team):
     * runs {@code body.run(threads())} while the pool's workers park and no pool call can start, so the two never
     * run at once and the cores are never oversubscribed. Waits while another thread's pool call or loan is under
     * way. From inside a pool task or a pool call it runs {@code body.run(1)} on the calling thread.
     */
    public static void borrow(Loan body) {
        if (Thread.currentThread() instanceof Worker || OWNER.isHeldByCurrentThread()) {
            body.run(1);
            return;
        }
        OWNER.lock();
        try {
            lent = true;
            body.run(active);
        } finally {
            lent = false;
            OWNER.unlock();
        }
    }

    /** Runs {@code body} over the items {@code [0, count)} cut into {@code tasks} near-equal consecutive ranges across the pool. */
    public static void forEachRange(int count, int tasks, Range body) {
        if (count <= 0) return;
        forEach(tasks, t -> body.run((int) ((long) count * t / tasks), (int) ((long) count * (t + 1) / tasks)));
    }

    /** Runs {@code body.run(t)} for every {@code t < tasks} across the pool and waits for all of them. */
    public static void forEach(int tasks, Body body) {
        if (tasks <= 0) return;
        if (tasks == 1 || active == 1 || Thread.currentThread() instanceof Worker || OWNER.isHeldByCurrentThread()
                || !OWNER.tryLock()) {
            for (int t = 0; t < tasks; t++) body.run(t);
            return;
        }
        try {
            dispatch(tasks, body);
        } finally {
            OWNER.unlock();
        }
    }

    /** Publishes the call, works on it, and waits until every task is finished; the caller holds {@link #OWNER}. */
    private static void dispatch(int count, Body work) {
        body = work;
        tasks = count;
        failure = null;
        FINISHED.set(0);
        long generation = (CLAIM.get() >>> 32) + 1;
        CLAIM.set(generation << 32);
        for (int i = 0; i < active - 1; i++) {
            if (WORKERS[i].parked) LockSupport.unpark(WORKERS[i]);
        }
        runClaimed(generation);
        while (FINISHED.get() < count) Thread.onSpinWait();
        body = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException e) throw e;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /** Claims and runs tasks of call {@code generation} until none is left (or a newer call has begun). */
    private static void runClaimed(long generation) {
        while (true) {
            long c = CLAIM.get();
            if (c >>> 32 != generation) return;
            int t = (int) c;
            if (t >= tasks) return;
            if (!CLAIM.compareAndSet(c, c + 1)) continue;
            try {
                body.run(t);
            } catch (Throwable e) {
                if (failure == null) failure = e;
            } finally {
                FINISHED.incrementAndGet();
            }
        }
    }

    /** A pool thread: waits for a new call (spinning, then parked), takes tasks of it, and waits again. */
    private static final class Worker extends Thread {
        volatile boolean parked;
        /** This worker takes part while {@code index < threads() - 1}. */
        private final int index;

        Worker(String name, int index) {
            super(name);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = CLAIM.get() >>> 32;
            while (true) {
                long generation = awaitCall(seen);
                if (index < active - 1) runClaimed(generation);
                seen = generation;
            }
        }

        /** The generation of the next call after {@code seen}. */
        private long awaitCall(long seen) {
            long start = System.nanoTime();
            int spins = 0;
            while (true) {
                long g = CLAIM.get() >>> 32;
                if (g != seen) return g;
                if (!lent && index < active - 1 && (++spins < 64 || System.nanoTime() - start < SPIN_NANOS)) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (CLAIM.get() >>> 32 == seen) LockSupport.park(this);
                parked = false;
                start = System.nanoTime();
                spins = 0;
            }
        }
    }
}
