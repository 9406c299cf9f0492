package qwen2vl4j.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code slots} generations at once and {@code queue} requests waiting for one; a request beyond that,
 * or one that waited longer than the queue timeout, is refused with 429 and a Retry-After.
 */
final class Admission {
    private final Semaphore slots;
    private final int slotCount;
    private final int queue;
    private final Duration timeout;
    private final AtomicInteger waiting = new AtomicInteger();

    Admission(int slots, int queue, Duration timeout) {
        this.slots = new Semaphore(slots, true);
        this.slotCount = slots;
        this.queue = queue;
        this.timeout = timeout;
    }

    /** A held slot; closing it frees the slot. */
    interface Ticket extends AutoCloseable {
        @Override
        void close();
    }

    /** Takes a slot, waiting in the queue if needed. */
    Ticket enter() {
        if (!acquireNow()) {
            if (waiting.incrementAndGet() > queue) {
                waiting.decrementAndGet();
                throw ApiException.busy("the server is busy: " + slotCount + " requests running and " + queue
                        + " waiting; retry later", 1);
            }
            try {
                if (!slots.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw ApiException.busy("the server is busy: no slot freed within " + timeout.toSeconds() + " s; retry later", 5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.busy("interrupted while waiting for a slot", 1);
            } finally {
                waiting.decrementAndGet();
            }
        }
        boolean[] released = {false};
        return () -> {
            if (!released[0]) {
                released[0] = true;
                slots.release();
            }
        };
    }

    /** Takes a free slot unless requests are already waiting for one (the untimed tryAcquire would jump the queue). */
    private boolean acquireNow() {
        try {
            return slots.tryAcquire(0, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.busy("interrupted while waiting for a slot", 1);
        }
    }

    int running() {
        return slotCount - slots.availablePermits();
    }

    int waiting() {
        return waiting.get();
    }
}
