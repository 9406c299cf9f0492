package qwen2vl4j.cli.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.kernels.ComputePool;

/**
 * Measures the two limits of this machine that bound inference, with the same pool and vectors
 * as the kernels: sustained memory read bandwidth (all threads streaming a buffer far larger than
 * the caches) and float32 multiply-add throughput (all threads, independent FMA chains, timed by
 * the CPU time each thread was given).
 */
public final class MachineProbe {
    private MachineProbe() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** Vector lanes of the float species the kernels use (the preferred one). */
    public static int floatLanes() {
        return L;
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
            ComputePool.forEach(threads, t -> sink[t] = sumFloats(buf, t * slice, t * slice + (1 << 20)));
            ComputePool.forEach(threads, t -> sink[t] += sumFloatStreams(buf, t * slice, t * slice + (1 << 20)));
            double best = 0;
            for (int r = 0; r < repeats; r++) {
                best = Math.max(best, pass(threads, slice, () -> ComputePool.forEach(threads,
                        t -> sink[t] += sumFloats(buf, t * slice, (t + 1) * slice))));
                best = Math.max(best, pass(threads, slice, () -> ComputePool.forEach(threads,
                        t -> sink[t] += sumFloatStreams(buf, t * slice, (t + 1) * slice))));
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
        ComputePool.forEach(threads, t -> sink[t] = fmaChains(200_000));
        long probe = 1_000_000;
        long t0 = System.nanoTime();
        ComputePool.forEach(threads, t -> sink[t] += fmaChains(probe));
        double probeS = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
        long iterations = Math.max(10_000, (long) (probe * FMA_SLICE_S / probeS));
        double flopsPerThread = (double) iterations * FMA_CHAINS * 2 * L;
        int slices = Math.max(repeats, (int) Math.ceil(repeats * seconds / FMA_SLICE_S));
        double best = 0;
        double[] rate = new double[threads];
        for (int r = 0; r < slices; r++) {
            ComputePool.forEach(threads, t -> {
                long c0 = threadNanos();
                sink[t] += fmaChains(iterations);
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

    /** Σ of the floats in {@code [from, to)} bytes of {@code seg} (a streaming read; {@code to − from} a multiple of 4·L·4). */
    static float sumFloats(MemorySegment seg, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = 4L * F.vectorByteSize();
        for (long o = from; o + step <= to; o += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, o + F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, o + 2L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, o + 3L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /** Sequential streams {@link #sumFloatStreams} reads side by side. */
    static final int SUM_STREAMS = 4;

    /**
     * Σ of the floats in {@code [from, to)} bytes of {@code seg} read as {@link #SUM_STREAMS} streams side by side (the
     * range cut into that many equal stretches, as the GEMV reads several rows at once); a rest shorter than
     * {@code SUM_STREAMS · 2} vectors at the end of each stretch is not read.
     */
    static float sumFloatStreams(MemorySegment seg, long from, long to) {
        int vb = F.vectorByteSize();
        long q = (to - from) / SUM_STREAMS / (2L * vb) * (2L * vb);
        long b0 = from, b1 = b0 + q, b2 = b1 + q, b3 = b2 + q;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (long o = 0; o < q; o += 2L * vb) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, b0 + o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, b0 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, b1 + o, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, b1 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a4 = a4.add(FloatVector.fromMemorySegment(F, seg, b2 + o, ByteOrder.LITTLE_ENDIAN));
            a5 = a5.add(FloatVector.fromMemorySegment(F, seg, b2 + o + vb, ByteOrder.LITTLE_ENDIAN));
            a6 = a6.add(FloatVector.fromMemorySegment(F, seg, b3 + o, ByteOrder.LITTLE_ENDIAN));
            a7 = a7.add(FloatVector.fromMemorySegment(F, seg, b3 + o + vb, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Independent multiply-add chains kept in registers by {@link #fmaChains}: with two FMA ports of four or five
     * cycles' latency ten would do. Twelve, with the two operands, fit the 16 vector registers of AVX2 as well as
     * the 32 of AVX-512 and AArch64; 24 spilled to the stack on AVX2 and read half the true peak there.
     */
    static final int FMA_CHAINS = 12;

    /** {@code iterations} rounds of {@link #FMA_CHAINS} independent vector FMAs: the arithmetic peak. */
    static float fmaChains(long iterations) {
        FloatVector m = FloatVector.broadcast(F, 0.999999f), c = FloatVector.broadcast(F, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(F, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
