package qwen2vl4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Measures the two limits of this machine that bound inference, with the same pool and vectors
 * as the kernels: sustained memory read bandwidth (all threads streaming a buffer far larger than
 * the caches) and float32 multiply-add throughput (all threads, independent FMA chains, timed by
 * the CPU time each thread was given).
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
        int threads = ComputePool.threads();
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

    /**
     * Best float32 FLOP/s (2 per lane per FMA) of all pool threads: the peak of the cores. Each
     * thread times its share of independent FMA chains by the CPU time it was given (where the JVM
     * can measure it; by the wall clock otherwise), and the rates add up, so other processes taking
     * turns on the cores do not lower the figure. The {@code repeats × seconds} of probing are cut
     * into slices of about {@link #FMA_SLICE_S}; the best slice counts.
     */
    public static double fmaThroughput(double seconds, int repeats) {
        int threads = ComputePool.threads();
        float[] sink = new float[threads];
        ComputePool.forEach(threads, t -> sink[t] = VectorKernels.fmaChains(200_000));
        long probe = 1_000_000;
        long t0 = System.nanoTime();
        ComputePool.forEach(threads, t -> sink[t] += VectorKernels.fmaChains(probe));
        double probeS = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
        long iterations = Math.max(10_000, (long) (probe * FMA_SLICE_S / probeS));
        double flopsPerThread = (double) iterations * VectorKernels.FMA_CHAINS * 2 * VectorKernels.L;
        int slices = Math.max(repeats, (int) Math.ceil(repeats * seconds / FMA_SLICE_S));
        double best = 0;
        double[] rate = new double[threads];
        for (int r = 0; r < slices; r++) {
            ComputePool.forEach(threads, t -> {
                long c0 = threadNanos();
                sink[t] += VectorKernels.fmaChains(iterations);
                rate[t] = flopsPerThread / Math.max(1, threadNanos() - c0) * 1e9;
            });
            double sum = 0;
            for (double v : rate) sum += v;
            best = Math.max(best, sum);
        }
        keep(sink);
        return best;
    }

    /** Seconds per slice of {@link #fmaThroughput}. */
    private static final double FMA_SLICE_S = 0.05;

    private static final java.lang.management.ThreadMXBean THREAD_TIMES = java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of the current thread in ns where the JVM measures it, else the wall clock. */
    private static long threadNanos() {
        return THREAD_TIMES.isCurrentThreadCpuTimeSupported() ? THREAD_TIMES.getCurrentThreadCpuTime() : System.nanoTime();
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
