package qwen2vl4j.cli.bench;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensorsWriter;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.QuantGemv;
import qwen2vl4j.kernels.Quantizer;

/**
 * {@code quant-bench}: the decode step's matrix-vector product over random weights at the model's
 * shapes, in bf16, Q8_0 and Q4_0, with the integer kernels ({@link QuantGemv}), the first integer
 * kernels ({@link QuantBaseline}) and the naive widening to float ({@link QuantWidening}), against the
 * machine's measured read bandwidth, plus the process CPU time per block of 32 weights (what a kernel
 * costs, less sensitive than wall time to other processes, which still share the caches, the memory
 * bus and the cores' clock). Each format cycles through enough copies of the matrix to exceed the
 * caches, so every call streams its weights from memory, as decoding does; the quantized copies live
 * off the heap, as those quantized at load and a mapped quantized file do.
 */
@Command(name = "quant-bench", mixinStandardHelpOptions = true,
        description = "Measure matrix-vector products over bf16, Q8_0 and Q4_0 weights (GB/s of weights, ns per row) against memory bandwidth.")
public final class QuantBenchCommand implements Runnable {
    /** Alternating timing rounds per shape. */
    private static final int ROUNDS = 10;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The kernels the summary line compares: the current integer kernels against the first ones. */
    private static final String INTEGER = "integer", BASELINE = "baseline";

    @Spec
    CommandSpec spec;

    @Option(names = "--shapes", split = ",", paramLabel = "RxC", defaultValue = "8960x1536,151936x1536",
            description = "matrix shapes, rows x cols, cols a multiple of 32 (default: ${DEFAULT-VALUE})")
    List<String> shapes;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "2", description = "timed seconds per kernel (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--footprint-mb", paramLabel = "MB", defaultValue = "320",
            description = "weights cycled through per kernel, far above the caches (default: ${DEFAULT-VALUE})")
    int footprintMb;

    @Option(names = "--bandwidth-mib", paramLabel = "MIB", defaultValue = "512",
            description = "buffer of the read-bandwidth probe, far above the caches (default: ${DEFAULT-VALUE})")
    int bandwidthMib;

    @Option(names = "--heap", description = "keep the quantized copies on the Java heap "
            + "(default: off-heap, as quantizing at load and a mapped quantized file hold them)")
    boolean heap;

    @Override
    public void run() {
        boolean offHeap = !heap;
        if (bandwidthMib < 1) throw new IllegalArgumentException("--bandwidth-mib: expected at least 1, found " + bandwidthMib);
        if (!(seconds > 0) || seconds > 60) throw new IllegalArgumentException("--seconds: expected (0, 60], found " + seconds);
        if (footprintMb < 1) throw new IllegalArgumentException("--footprint-mb: expected at least 1, found " + footprintMb);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("machine: %d threads; read bandwidth probed (%d MiB buffer, all threads) in every round, best kept%n",
                ComputePool.threads(), bandwidthMib);
        out.printf("%-14s %-6s %-9s %9s %10s %9s %11s %9s %8s%n", "shape", "format", "kernel", "weight MB", "ms/call", "ns/row", "cpu ns/blk",
                "GB/s", "of bw");
        out.flush();
        for (String shape : shapes) {
            int[] rc = parseShape(shape);
            try (Arena arena = Arena.ofShared()) {
                List<Tensor> bf16Tensors = randomBf16(arena, rc[0], rc[1], footprintMb);
                List<Matrix> bf16 = bf16Tensors.stream().map(Matrix::of).toList();
                List<Matrix> q8 = quantized(arena, bf16Tensors, DType.Q8_0, footprintMb, offHeap);
                List<Matrix> q4 = quantized(arena, bf16Tensors, DType.Q4_0, footprintMb, offHeap);
                Product integer = (x, m, y) -> QuantGemv.run(x, 1, m, null, y, QuantGemv.Kernel.INTEGER);
                Product baseline = (x, m, y) -> QuantBaseline.run(x, 1, m, null, y);
                Product widening = (x, m, y) -> QuantWidening.run(x, 1, m, null, y);
                List<Runner> runners = List.of(
                        new Runner("bf16", "vector", bf16, (x, m, y) -> MatMul.matmul(x, 1, m, null, y)),
                        new Runner("q8_0", INTEGER, q8, integer),
                        new Runner("q8_0", BASELINE, q8, baseline),
                        new Runner("q8_0", "widening", q8, widening),
                        new Runner("q4_0", INTEGER, q4, integer),
                        new Runner("q4_0", BASELINE, q4, baseline),
                        new Runner("q4_0", "widening", q4, widening));
                for (Runner r : runners) r.time(Math.min(0.5, seconds / 4));
                double bandwidth = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    bandwidth = Math.max(bandwidth, MachineProbe.readBandwidth((long) bandwidthMib << 20, 2));
                    for (Runner r : runners) r.best = Math.min(r.best, r.time(seconds / ROUNDS));
                }
                out.printf("%-14s read bandwidth %.2f GB/s%n", shape, bandwidth / 1e9);
                for (Runner r : runners) {
                    Matrix first = r.matrices.getFirst();
                    double gbs = first.byteSize() / r.best;
                    out.printf("%-14s %-6s %-9s %9.1f %10.3f %9.1f %11.2f %9.2f %7.0f%%%n", shape, r.format, r.kernel, first.byteSize() / 1048576.0,
                            r.best * 1e3, r.best * 1e9 / first.rows(), r.bestCpu * 1e9 * 32 / ((double) first.rows() * first.cols()),
                            gbs / 1e9, 100 * gbs / bandwidth);
                }
                for (int i = 0; i + 1 < runners.size(); i++) {
                    Runner r = runners.get(i), base = runners.get(i + 1);
                    if (r.kernel.equals(INTEGER) && base.kernel.equals(BASELINE)) {
                        out.printf("%-14s %-6s integer vs baseline (same run, best rounds): %.2fx the speed, %.2fx less CPU per block%n",
                                shape, r.format, base.best / r.best, base.bestCpu / r.bestCpu);
                    }
                }
                out.flush();
            }
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int[] parseShape(String s) {
        String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (p.length == 2) {
                int rows = Integer.parseInt(p[0].trim()), cols = Integer.parseInt(p[1].trim());
                if (rows > 0 && cols > 0 && cols % 32 == 0) return new int[] {rows, cols};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--shapes: expected ROWSxCOLS with COLS a positive multiple of 32, found '" + s + "'");
    }

    /** Enough distinct random bf16 tensors to fill {@code footprintMb} (at least one). */
    private static List<Tensor> randomBf16(Arena arena, int rows, int cols, int footprintMb) {
        long bytes = 2L * rows * cols;
        int copies = (int) Math.max(1, Math.min(64, ((long) footprintMb << 20) / bytes));
        List<Tensor> list = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            MemorySegment seg = arena.allocate(bytes, 64);
            SplittableRandom rnd = new SplittableRandom(c);
            for (long i = 0; i < bytes; i += 2) seg.set(SHORT_LE, i, SafeTensorsWriter.toBF16((float) (rnd.nextDouble() * 2 - 1)));
            list.add(new Tensor("random" + c, DType.BF16, new long[] {rows, cols}, seg, "quant-bench"));
        }
        return list;
    }

    /**
     * The bf16 matrices quantized, repeated until they fill {@code footprintMb} (copies of the same
     * blocks); off the heap (in {@code arena}) when {@code offHeap}, as a mapped quantized file is.
     */
    private static List<Matrix> quantized(Arena arena, List<Tensor> bf16, DType type, int footprintMb, boolean offHeap) {
        List<Matrix> list = new ArrayList<>();
        list.add(quantized(arena, bf16.getFirst(), type, offHeap));
        long bytes = list.getFirst().byteSize();
        int copies = (int) Math.max(bf16.size(), Math.min(128, ((long) footprintMb << 20) / bytes));
        for (int c = 1; c < copies; c++) list.add(quantized(arena, bf16.get(c % bf16.size()), type, offHeap));
        return list;
    }

    private static Matrix quantized(Arena arena, Tensor bf16, DType type, boolean offHeap) {
        Tensor t = Quantizer.quantize(bf16, type, arena);
        if (offHeap) return Matrix.of(t);
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(t.data().byteSize())]);
        seg.copyFrom(t.data());
        return Matrix.of(new Tensor(t.name(), type, t.shape(), seg, "quant-bench (heap)"));
    }

    /** One matrix-vector product {@code y = x · mᵀ} of a kernel. */
    @FunctionalInterface
    private interface Product {
        void run(float[] x, Matrix m, float[] y);
    }

    /**
     * One kernel over its matrices, called in turn (each call the next matrix). The kernels of a shape are
     * timed in alternating rounds and each keeps its best round, so that load from other processes
     * spreads over all of them instead of skewing one.
     */
    private static final class Runner {
        final String format;
        final String kernel;
        final List<Matrix> matrices;
        final Product product;
        final float[] x;
        final float[] y;
        int next;
        double best = Double.MAX_VALUE;
        /** Least process CPU seconds per call over the rounds (all threads): the kernel's work, time spent descheduled left out. */
        double bestCpu = Double.MAX_VALUE;

        Runner(String format, String kernel, List<Matrix> matrices, Product product) {
            this.format = format;
            this.kernel = kernel;
            this.matrices = matrices;
            this.product = product;
            Matrix m = matrices.getFirst();
            x = new float[m.cols()];
            y = new float[m.rows()];
            SplittableRandom rnd = new SplittableRandom(42);
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        }

        /** Calls for about {@code seconds} (at least once through all matrices); seconds per call. */
        double time(double seconds) {
            int calls = 0;
            long cpuStart = processCpuNanos();
            long start = System.nanoTime(), now;
            do {
                Matrix m = matrices.get(next++ % matrices.size());
                product.run(x, m, y);
                calls++;
                now = System.nanoTime();
            } while (now - start < seconds * 1e9 || calls < matrices.size());
            bestCpu = Math.min(bestCpu, (processCpuNanos() - cpuStart) / 1e9 / calls);
            return (now - start) / 1e9 / calls;
        }
    }
}
