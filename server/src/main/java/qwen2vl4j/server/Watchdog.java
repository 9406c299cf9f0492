package qwen2vl4j.server;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Time limits on blocking socket I/O: {@link #arm} interrupts the calling thread when the limit passes, which
 * closes the connection it is blocked on (an interruptible channel) so the read or write fails at once.
 */
final class Watchdog implements AutoCloseable {
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("qwen2vl4j-watchdog").daemon().factory());

    /** A running limit; closing it before the limit passes disarms it. */
    interface Armed extends AutoCloseable {
        @Override
        void close();

        /** Whether the limit passed (and the thread was interrupted). */
        boolean fired();
    }

    Armed arm(Duration limit) {
        return arm(limit, null);
    }

    /**
     * As {@link #arm(Duration)}, running {@code beforeInterrupt} (e.g. writing a 408 while the connection is still open)
     * on the timer thread when the limit passes, just before the interrupt.
     */
    Armed arm(Duration limit, Runnable beforeInterrupt) {
        Thread thread = Thread.currentThread();
        boolean[] fired = {false};
        ScheduledFuture<?> task = timer.schedule(() -> {
            synchronized (fired) {
                fired[0] = true;
                if (beforeInterrupt != null) {
                    try {
                        beforeInterrupt.run();
                    } catch (RuntimeException ignored) {
                        // the interrupt below still cuts the connection
                    }
                }
                thread.interrupt();
            }
        }, limit.toNanos(), TimeUnit.NANOSECONDS);
        return new Armed() {
            @Override
            public void close() {
                task.cancel(false);
                synchronized (fired) {
                    if (fired[0]) Thread.interrupted();   // the interrupt was ours: do not leak it
                }
            }

            @Override
            public boolean fired() {
                synchronized (fired) {
                    return fired[0];
                }
            }
        };
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
