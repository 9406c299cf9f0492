package qwen2vl4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads every large kernel is split across: one pool of {@link #THREADS} workers, created
 * once. A call hands it {@code tasks} independent pieces of work, numbered {@code 0..tasks-1}, and
 * returns when all are done; the only allocation per call is the small fork/join task objects.
 */
public final class ComputePool {
    /** Workers in the pool: one per available processor. */
    public static final int THREADS = Runtime.getRuntime().availableProcessors();

    private static final AtomicInteger WORKERS = new AtomicInteger();
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS, pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("qwen2vl4j-compute-" + WORKERS.incrementAndGet());
        t.setDaemon(true);
        return t;
    }, null, false);

    private ComputePool() {}

    /** One numbered piece of a split computation. */
    @FunctionalInterface
    public interface Body {
        void run(int task);
    }

    /** Runs {@code body.run(t)} for every {@code t < tasks} across the pool and waits for all of them. */
    public static void forEach(int tasks, Body body) {
        if (tasks <= 0) return;
        if (tasks == 1) {
            body.run(0);
            return;
        }
        Split all = new Split(body, 0, tasks);
        if (Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL) {
            all.compute();
        } else {
            POOL.invoke(all);
        }
    }

    /** Halves its range of task numbers until one is left, forking the upper half. */
    private static final class Split extends RecursiveAction {
        private final Body body;
        private final int from;
        private final int to;
        /** The next task this one forked (a stack, newest first). */
        private Split next;

        Split(Body body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            int lo = from, hi = to;
            Split forked = null;
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                Split upper = new Split(body, mid, hi);
                upper.fork();
                upper.next = forked;
                forked = upper;
                hi = mid;
            }
            body.run(lo);
            for (Split s = forked; s != null; s = s.next) {
                if (s.tryUnfork()) s.compute();
                else s.join();
            }
        }
    }
}
