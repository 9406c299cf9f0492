package qwen2vl4j.cli.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.Consumer;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.onednn.OneDnnPeak;

/**
 * What one large matrix product reaches on this machine, the yardstick of the precision figures: our Java f32 GEMM
 * and oneDNN's matmul (bf16 and f32 inputs, where it runs here) on the same shape, the vision MLP's first product
 * for a 448×448 image ({@code [1024, 1280] · [1280, 5120]}, bf16 weights).
 *
 * @param f32GemmGflops    the Java kernels' f32 GEMM
 * @param bf16Gflops       oneDNN with bf16 inputs, or null where it has no bf16 kernel here
 * @param bf16Implementation the oneDNN implementation of that figure, or null
 * @param oneDnnF32Gflops  oneDNN with f32 inputs, or null where it does not load
 */
record MatmulPeaks(double f32GemmGflops, Double bf16Gflops, String bf16Implementation, Double oneDnnF32Gflops) {
    static final int M = 1024, K = 1280, N = 5120;

    static MatmulPeaks measure(Consumer<String> progress) {
        progress.accept("measuring one large matrix product [" + M + "x" + K + "]·[" + K + "x" + N + "]: Java f32 GEMM, oneDNN bf16 and f32 ...");
        double java;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(2L * K * N, 64);
            Random r = new Random(3);
            for (long i = 0; i < (long) K * N; i++) w.set(ValueLayout.JAVA_SHORT, 2 * i, (short) (0x3C00 | r.nextInt(0x100)));
            Matrix m = Matrix.of(new Tensor("peak.weight", DType.BF16, new long[] {N, K}, w, "bench"));
            float[] x = Timing.random(M * K, 7), y = new float[M * N];
            MatMul.matmul(x, M, m, null, y);
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                MatMul.matmul(x, M, m, null, y);
                best = Math.min(best, Timing.seconds(t0));
            }
            java = 2.0 * M * K * N / best / 1e9;
        }
        OneDnnPeak.Result bf16 = OneDnnPeak.measure(Precision.BF16, M, K, N, 3);
        OneDnnPeak.Result f32 = OneDnnPeak.measure(Precision.F32, M, K, N, 3);
        return new MatmulPeaks(Timing.round(java), bf16 == null ? null : Timing.round(bf16.gflops()),
                bf16 == null ? null : bf16.implementation(), f32 == null ? null : Timing.round(f32.gflops()));
    }
}
