package qwen2vl4j.kernels;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A test backend, {@code counting}, installed through the tests' {@code META-INF/services}: it records every weight
 * matrix and every method that reaches it and delegates to the {@link JavaBackend}, so that a model loaded for it
 * shows which of its products go through the {@link ComputeBackend} seam. It ranks below {@code java}, so {@code auto}
 * never picks it.
 */
public final class CountingBackend implements ComputeBackend {
    public static final String NAME = "counting";
    private static final CountingBackend INSTANCE = new CountingBackend();

    private final Map<String, LongAdder> matrices = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> methods = new ConcurrentHashMap<>();

    /** The one instance the provider gives. */
    public static CountingBackend instance() {
        return INSTANCE;
    }

    /** The names of the matrices that went through this backend since the last {@link #reset}. */
    public Set<String> matrices() {
        return Set.copyOf(matrices.keySet());
    }

    /** Calls of {@code method} ({@code gemm}, {@code gemv}, {@code gemm2}, {@code gemm3}, {@code swiGlu}) since the last {@link #reset}. */
    public long calls(String method) {
        LongAdder a = methods.get(method);
        return a == null ? 0 : a.sum();
    }

    public void reset() {
        matrices.clear();
        methods.clear();
    }

    private void count(String method, Matrix... ws) {
        methods.computeIfAbsent(method, k -> new LongAdder()).increment();
        for (Matrix w : ws) matrices.computeIfAbsent(w.name(), k -> new LongAdder()).increment();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String implementation() {
        return "counts its calls, then " + JavaBackend.INSTANCE.implementation();
    }

    @Override
    public void gemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        count("gemm", w);
        JavaBackend.INSTANCE.gemm(x, n, w, bias, out);
    }

    @Override
    public void gemv(float[] x, Matrix w, float[] bias, float[] out) {
        count("gemv", w);
        JavaBackend.INSTANCE.gemv(x, w, bias, out);
    }

    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        count("gemm2", w0, w1);
        JavaBackend.INSTANCE.gemm(x, n, w0, b0, out0, w1, b1, out1);
    }

    @Override
    public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                     Matrix w2, float[] b2, float[] out2) {
        count("gemm3", w0, w1, w2);
        JavaBackend.INSTANCE.gemm(x, n, w0, b0, out0, w1, b1, out1, w2, b2, out2);
    }

    @Override
    public void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        count("swiGlu", gate, up);
        JavaBackend.INSTANCE.swiGlu(x, n, gate, up, gateOut, upOut);
    }

    /** Its {@link java.util.ServiceLoader} entry. */
    public static final class Provider implements ComputeBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public int priority() {
            return -1;
        }

        @Override
        public ComputeBackend create() {
            return INSTANCE;
        }
    }
}
