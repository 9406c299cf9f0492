package qwen2vl4j.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Precision;
import qwen2vl4j.kernels.ComputeBackend;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.JavaBackend;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.NativeRows;

/**
 * The {@code onednn} compute backend: the products of {@link #MIN_ROWS} or more input rows with a bf16 weight matrix
 * (every linear layer of the vision tower and merger, the text prefill, the batched decode step) run as oneDNN
 * matmuls on the mapped weights, in {@link Precision#BF16} (inputs rounded to bf16 by {@link NativeRows#toBf16},
 * bf16 × bf16 products accumulated in f32 on the CPU's matrix units) or {@link Precision#F32} (f32 inputs, the bf16
 * weights widened exactly, f32 arithmetic). Fewer rows (a decode step's matrix-vector products, which oneDNN does
 * not do faster) and other weight types (quantized, f32, f16) go to the {@link JavaBackend}. oneDNN runs on the
 * engine's thread budget, lent by {@link ComputePool#borrow}, so its OpenMP threads and the Java pool never run
 * at once. A shape for which oneDNN has only its reference code goes to the Java kernels too.
 */
final class OneDnnBackend implements ComputeBackend {
    /** From this many input rows on, oneDNN; below, the Java kernels. */
    static final int MIN_ROWS = 4;

    private final Matmuls matmuls;
    private final Precision precision;
    private final String library;
    private final ConcurrentLinkedDeque<Scratch> scratches = new ConcurrentLinkedDeque<>();

    OneDnnBackend(Matmuls matmuls, Precision precision, String library) {
        this.matmuls = matmuls;
        this.precision = precision;
        this.library = library;
    }

    @Override
    public String name() {
        return OneDnnProvider.NAME;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** e.g. {@code oneDNN 3.13.0 (avx512_core_amx), bf16 × bf16 → f32: brg_matmul:avx512_core_amx; fewer than 4 rows: Vector API ...}. */
    @Override
    public String implementation() {
        List<String> ran = matmuls.ran();
        return library + ", " + (precision == Precision.BF16 ? "bf16 × bf16 → f32" : "f32 × bf16 → f32") + ": "
                + (ran.isEmpty() ? "no product yet" : String.join(", ", ran.stream().sorted().toList()))
                + "; fewer than " + MIN_ROWS + " rows: " + JavaBackend.INSTANCE.implementation();
    }

    /** The names of oneDNN's implementations that have run, e.g. {@code brg_matmul:avx512_core_amx}. */
    List<String> implementationsRun() {
        return matmuls.ran();
    }

    /** Products oneDNN has run so far (every backend of this JVM). */
    long productsRun() {
        return matmuls.executed();
    }

    @Override
    public void gemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int k = w.cols(), rows = w.rows();
        int srcType = precision == Precision.BF16 ? Dnnl.BF16 : Dnnl.F32;
        if (!takes(n, w) || !matmuls.fast(n, k, rows, srcType, bias != null)) {
            JavaBackend.INSTANCE.gemm(x, n, w, bias, out);
            return;
        }
        Scratch s = scratch();
        try {
            MemorySegment src = s.src((long) n * k * (srcType == Dnnl.BF16 ? 2 : 4));
            if (srcType == Dnnl.BF16) NativeRows.toBf16(x, n * k, src);
            else NativeRows.toF32(x, n * k, src);
            MemorySegment b = MemorySegment.NULL;
            if (bias != null) {
                b = s.bias(4L * rows);
                NativeRows.toF32(bias, rows, b);
            }
            MemorySegment dst = s.dst(4L * n * rows);
            MemorySegment bb = b;
            ComputePool.borrow(threads -> matmuls.run(n, k, rows, srcType, src, w.data(), bb, dst, threads));
            NativeRows.fromF32(dst, n, rows, null, out);
        } finally {
            scratches.push(s);
        }
    }

    @Override
    public void gemv(float[] x, Matrix w, float[] bias, float[] out) {
        JavaBackend.INSTANCE.gemv(x, w, bias, out);
    }

    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        if (takes(n, w0) && takes(n, w1)) {
            ComputeBackend.super.gemm(x, n, w0, b0, out0, w1, b1, out1);
        } else {
            JavaBackend.INSTANCE.gemm(x, n, w0, b0, out0, w1, b1, out1);
        }
    }

    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                     Matrix w2, float[] b2, float[] out2) {
        if (takes(n, w0) && takes(n, w1) && takes(n, w2)) {
            ComputeBackend.super.gemm(x, n, w0, b0, out0, w1, b1, out1, w2, b2, out2);
        } else {
            JavaBackend.INSTANCE.gemm(x, n, w0, b0, out0, w1, b1, out1, w2, b2, out2);
        }
    }

    @Override
    public void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        if (takes(n, gate) && takes(n, up)) {
            ComputeBackend.super.swiGlu(x, n, gate, up, gateOut, upOut);
        } else {
            JavaBackend.INSTANCE.swiGlu(x, n, gate, up, gateOut, upOut);
        }
    }

    /** Whether oneDNN computes this product: enough rows, and bf16 weights in native (mapped) memory. */
    static boolean takes(int n, Matrix w) {
        return n >= MIN_ROWS && w.dtype() == DType.BF16 && w.data().isNative() && w.data().byteSize() >= 2L * w.rows() * w.cols();
    }

    private Scratch scratch() {
        Scratch s = scratches.poll();
        return s != null ? s : new Scratch();
    }

    /** Native buffers of one call in flight, grown to the largest call and reused. */
    private static final class Scratch {
        private final MemorySegment[] segments = new MemorySegment[3];
        private final Arena[] arenas = new Arena[3];

        MemorySegment src(long bytes) {
            return get(0, bytes);
        }

        MemorySegment bias(long bytes) {
            return get(1, bytes);
        }

        MemorySegment dst(long bytes) {
            return get(2, bytes);
        }

        private MemorySegment get(int i, long bytes) {
            if (segments[i] == null || segments[i].byteSize() < bytes) {
                if (arenas[i] != null) arenas[i].close();
                arenas[i] = Arena.ofShared();
                segments[i] = arenas[i].allocate(Math.max(bytes, 4096), 64);
            }
            return segments[i].asSlice(0, bytes);
        }
    }
}
