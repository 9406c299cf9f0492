package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ComputePoolTest {
    @Test
    void everyTaskRunsExactlyOnceAcrossManyCalls() {
        for (int tasks : new int[] {1, 2, 3, 7, 16, 1000}) {
            for (int call = 0; call < 200; call++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                ComputePool.forEach(tasks, runs::incrementAndGet);
                for (int t = 0; t < tasks; t++) assertEquals(1, runs.get(t), "task " + t + " of " + tasks + ", call " + call);
            }
        }
    }

    @Test
    void resultsWrittenByTheTasksAreVisibleToTheCaller() {
        int n = 4096;
        for (int call = 0; call < 100; call++) {
            long[] out = new long[n];
            int c = call;
            ComputePool.forEach(64, t -> {
                for (int i = t * 64; i < (t + 1) * 64; i++) out[i] = (long) i * c + 1;
            });
            for (int i = 0; i < n; i++) assertEquals((long) i * call + 1, out[i]);
        }
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolKeepsWorking() {
        IllegalStateException boom = new IllegalStateException("task 5 failed");
        AtomicIntegerArray runs = new AtomicIntegerArray(8);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> ComputePool.forEach(8, t -> {
            runs.incrementAndGet(t);
            if (t == 5) throw boom;
        }));
        assertSame(boom, thrown);
        for (int t = 0; t < 8; t++) assertEquals(1, runs.get(t), "every task still ran once");
        AtomicIntegerArray after = new AtomicIntegerArray(8);
        ComputePool.forEach(8, after::incrementAndGet);
        for (int t = 0; t < 8; t++) assertEquals(1, after.get(t));
    }

    @Test
    void aNestedCallRunsInsideItsTask() {
        AtomicIntegerArray runs = new AtomicIntegerArray(16 * 16);
        ComputePool.forEach(16, outer -> ComputePool.forEach(16, inner -> runs.incrementAndGet(outer * 16 + inner)));
        for (int i = 0; i < 256; i++) assertEquals(1, runs.get(i));
    }

    @Test
    void concurrentCallersAllGetTheirOwnResults() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int seed = c;
                futures.add(callers.submit(() -> {
                    long[] sums = new long[32];
                    for (int call = 0; call < 300; call++) {
                        long[] part = new long[32];
                        ComputePool.forEach(32, t -> part[t] = (long) t * seed + 1);
                        for (int t = 0; t < 32; t++) sums[t] += part[t];
                    }
                    return sums;
                }));
            }
            for (int c = 0; c < 4; c++) {
                long[] expected = new long[32];
                for (int t = 0; t < 32; t++) expected[t] = 300L * ((long) t * c + 1);
                assertArrayEquals(expected, futures.get(c).get(), "caller " + c);
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
