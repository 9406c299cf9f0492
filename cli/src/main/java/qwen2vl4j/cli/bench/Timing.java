package qwen2vl4j.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import qwen2vl4j.kernels.ComputePool;

/** The clocks of the benchmark: wall and CPU time, best-of runs, and the process's peak memory. */
final class Timing {
    private Timing() {}

    /** The fastest wall time of several runs, and the CPU share over all of them. */
    record Best(double seconds, double cpuShare) {}

    /** Runs {@code r} at least {@code repeats} times and for at least a second; the best time and the mean CPU share. */
    static Best best(int repeats, Runnable r) {
        double best = Double.MAX_VALUE;
        long c0 = cpuNanos(), t0 = System.nanoTime();
        for (int i = 0; i < repeats || System.nanoTime() - t0 < 1_000_000_000L; i++) {
            long s0 = System.nanoTime();
            r.run();
            best = Math.min(best, seconds(s0));
        }
        return new Best(best, (cpuNanos() - c0) / 1e9 / seconds(t0) / ComputePool.threads());
    }

    /**
     * Runs {@code a} and {@code b} in turns (after one warm-up each), {@code rounds} times and for at
     * least a second, so that both see the same load: the best time and the mean CPU share of each.
     */
    static Best[] interleaved(int rounds, Runnable a, Runnable b) {
        Runnable[] runs = {a, b};
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE}, wall = new double[2];
        long[] cpu = new long[2];
        a.run();
        b.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds || System.nanoTime() - t0 < 1_000_000_000L; i++) {
            for (int k = 0; k < 2; k++) {
                long c0 = cpuNanos(), s0 = System.nanoTime();
                runs[k].run();
                double s = seconds(s0);
                cpu[k] += cpuNanos() - c0;
                wall[k] += s;
                best[k] = Math.min(best[k], s);
            }
        }
        Best[] result = new Best[2];
        for (int k = 0; k < 2; k++) result[k] = new Best(best[k], cpu[k] / 1e9 / wall[k] / ComputePool.threads());
        return result;
    }

    /**
     * Runs {@code step} in windows of eight until the JIT compilers have settled: a window in which they spent
     * less than 2% of its wall time compiling, at most {@code maxSeconds}. On two cores the compiler threads take
     * their time from the compute threads: a decode of the bench's Q4_0 model ran 77–83 ms a token over its first 32
     * tokens and 62–64 ms once they had settled (after about 48). A measurement after this is the steady state a
     * server or chat reaches; returns the steps taken.
     */
    static int untilJitSettles(Runnable step, double maxSeconds) {
        var jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            for (int i = 0; i < 8; i++) step.run();
            return 8;
        }
        long start = System.nanoTime();
        int steps = 0;
        while (true) {
            long compiled = jit.getTotalCompilationTime(), t0 = System.nanoTime();
            for (int i = 0; i < 8; i++) step.run();
            steps += 8;
            double windowMs = (System.nanoTime() - t0) / 1e6;
            if (jit.getTotalCompilationTime() - compiled < 0.02 * windowMs || seconds(start) > maxSeconds) return steps;
        }
    }

    /** The share of all pool threads' time the process used over {@code seconds} since it had used {@code cpuStart} ns. */
    static double cpuShare(long cpuStart, double seconds) {
        return (cpuNanos() - cpuStart) / 1e9 / seconds / ComputePool.threads();
    }

    /** CPU time this process has used, in ns (all threads). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * {@code v} to four significant digits, as the JSON report gives figures (a fixed number of decimals would
     * turn a sub-millisecond time, e.g. the tiny test model's vision encode, into 0).
     */
    static double round(double v) {
        if (v == 0 || !Double.isFinite(v)) return v;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).doubleValue();
    }

    /** {@code n} values uniform in [-1, 1). */
    static float[] random(int n, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    /** Peak resident set size of this process (VmHWM), or -1 where /proc is absent. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
