package qwen2vl4j.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import qwen2vl4j.io.Precision;
import qwen2vl4j.kernels.ComputePool;

/**
 * What oneDNN's matmul reaches on this machine, for the benchmark's machine figures: one large product
 * {@code [m, k] · [k, n]} on native buffers (no copies in or out), bf16 weights, f32 or bf16 inputs, on the engine's
 * threads; the best of several runs.
 */
public final class OneDnnPeak {
    /** GFLOP/s reached and the implementation that ran, e.g. {@code brg_matmul:avx512_core_amx}. */
    public record Result(double gflops, String implementation) {}

    private OneDnnPeak() {}

    /** The figure for {@code precision}, or null where oneDNN is not available or has no kernel for it on this CPU. */
    public static Result measure(Precision precision, int m, int k, int n, int repeats) {
        OneDnnProvider provider = new OneDnnProvider();
        if (!provider.available() || !provider.supports(precision)) return null;
        Matmuls matmuls = OneDnnProvider.matmuls();
        int srcType = precision == Precision.BF16 ? Dnnl.BF16 : Dnnl.F32;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate((long) m * k * (srcType == Dnnl.BF16 ? 2 : 4), 64);
            MemorySegment w = arena.allocate(2L * k * n, 64), dst = arena.allocate(4L * m * n, 64);
            Random r = new Random(1);
            for (long i = 0; i < (long) k * n; i++) w.set(ValueLayout.JAVA_SHORT, 2 * i, (short) (0x3C00 | r.nextInt(0x100)));
            for (long i = 0; i < src.byteSize() / 2; i++) src.set(ValueLayout.JAVA_SHORT, 2 * i, (short) (0x3C00 | r.nextInt(0x100)));
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep <= repeats; rep++) {
                long t0 = System.nanoTime();
                ComputePool.borrow(threads -> matmuls.run(m, k, n, srcType, src, w, MemorySegment.NULL, dst, threads));
                if (rep > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e9);   // the first run makes the primitive
            }
            return new Result(2.0 * m * k * n / best / 1e9, matmuls.implementationFor(m, k, n, srcType));
        }
    }
}
