package qwen2vl4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Measures the two limits of this machine that bound inference, with the same pool and vectors
 * as the kernels: sustained memory read bandwidth (all threads streaming a buffer far larger than
 * the caches) and float32 multiply-add throughput (all threads, independent FMA chains).
 */
public final class MachineProbe {
    private MachineProbe() {}

    /** Vector lanes of the float species the kernels use. */
    public static int floatLanes() {
        return VectorKernels.L;
    }

    /**
     * Best read bandwidth, in bytes per second, over {@code repeats} passes of all pool threads over a fresh
     * off-heap buffer of {@code bytes} (written once before timing), each pass timed twice: every thread
     * reading its slice as one sequential stream, and as several streams side by side (what the GEMV does,
     * and what keeps the most reads in flight on some machines). The fastest of all is the bound.
     */
    public static double readBandwidth(long bytes, int repeats) {
        int threads = ComputePool.THREADS;
        long slice = bytes / threads / 4096 * 4096;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(slice * threads, 4096);
            buf.fill((byte) 1);
            float[] sink = new float[threads];
            ComputePool.forEach(threads, t -> sink[t] = VectorKernels.sumFloats(buf, t * slice, t * slice + (1 << 20)));
            ComputePool.forEach(threads, t -> sink[t] += VectorKernels.sumFloatStreams(buf, t * slice, t * slice + (1 << 20)));
            double best = 0;
            for (int r = 0; r < repeats; r++) {
                best = Math.max(best, pass(threads, slice, () -> ComputePool.forEach(threads,
                        t -> sink[t] += VectorKernels.sumFloats(buf, t * slice, (t + 1) * slice))));
                best = Math.max(best, pass(threads, slice, () -> ComputePool.forEach(threads,
                        t -> sink[t] += VectorKernels.sumFloatStreams(buf, t * slice, (t + 1) * slice))));
            }
            keep(sink);
            return best;
        }
    }

    /** Bytes per second of one timed {@code pass} over {@code threads} slices of {@code slice} bytes. */
    private static double pass(int threads, long slice, Runnable pass) {
        long t0 = System.nanoTime();
        pass.run();
        return slice * threads / ((System.nanoTime() - t0) / 1e9);
    }

    /** Best float32 FLOP/s (2 per lane per FMA) of all pool threads, over {@code repeats} runs of about {@code seconds}. */
    public static double fmaThroughput(double seconds, int repeats) {
        int threads = ComputePool.THREADS;
        float[] sink = new float[threads];
        ComputePool.forEach(threads, t -> sink[t] = VectorKernels.fmaChains(200_000));
        long probe = 2_000_000;
        long t0 = System.nanoTime();
        ComputePool.forEach(threads, t -> sink[t] += VectorKernels.fmaChains(probe));
        double probeS = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
        long iterations = Math.max(probe, (long) (probe * seconds / probeS));
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            long s0 = System.nanoTime();
            ComputePool.forEach(threads, t -> sink[t] += VectorKernels.fmaChains(iterations));
            double s = (System.nanoTime() - s0) / 1e9;
            best = Math.max(best, (double) threads * iterations * VectorKernels.FMA_CHAINS * 2 * VectorKernels.L / s);
        }
        keep(sink);
        return best;
    }

    /** Publishes the sums so that the JIT cannot drop the loops that made them. */
    private static void keep(float[] sums) {
        float s = 0;
        for (float v : sums) s += v;
        sink = s;
    }

    @SuppressWarnings("unused")
    private static volatile float sink;
}
