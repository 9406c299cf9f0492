package qwen2vl4j.onednn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * oneDNN matmul primitives {@code dst[M, N] = src[M, K] · W[K, N] + bias[N]} (f32 destination and bias), where the
 * weights are the checkpoint's bf16 matrix {@code [N, K]} row-major exactly as it lies in the mapped file, described
 * as {@code [K, N]} with strides {@code {1, K}}: no repacked copy. Primitives are made once per shape, source type
 * and thread count (oneDNN fixes its parallel split when it creates one) and kept, up to {@link #MAX_KEPT}; the
 * names of the implementations that ran are recorded for reports.
 */
final class Matmuls {
    /** Primitives kept; beyond that a shape's primitive is made for the call and destroyed after it. */
    static final int MAX_KEPT = 512;
    private static final int[] ARGS = {Dnnl.ARG_SRC, Dnnl.ARG_WEIGHTS, Dnnl.ARG_BIAS, Dnnl.ARG_DST};

    record Shape(int m, int k, int n, int srcType, boolean bias, int threads) {}

    private record Product(int m, int k, int n, int srcType, boolean bias) {}

    /** A primitive, the descriptors of its four arguments (bias may be NULL) and its implementation's name. */
    record Primitive(MemorySegment handle, MemorySegment[] mds, String implementation) {}

    private final Dnnl dnnl;
    private final Map<Shape, Primitive> kept = new ConcurrentHashMap<>();
    private final Set<String> ran = ConcurrentHashMap.newKeySet();
    private final AtomicLong executed = new AtomicLong();
    /** Whether oneDNN has more than its reference code for a product (it has not for every shape: e.g. on AVX2 its
     * f32 × bf16 kernel wants whole blocks of 16 output columns). */
    private final Map<Product, Boolean> fast = new ConcurrentHashMap<>();
    private final ThreadLocal<MemorySegment> streams;

    Matmuls(Dnnl dnnl) {
        this.dnnl = dnnl;
        this.streams = ThreadLocal.withInitial(dnnl::newStream);
    }

    /**
     * Runs {@code dst = src · Wᵀ + bias} on {@code threads} threads of oneDNN's own and waits for it.
     *
     * @param src     {@code [m, k]} row-major, f32 or bf16 ({@code srcType})
     * @param weights {@code [n, k]} row-major bf16
     * @param bias    {@code [n]} f32, or {@link MemorySegment#NULL}
     * @param dst     {@code [m, n]} row-major f32, overwritten
     */
    void run(int m, int k, int n, int srcType, MemorySegment src, MemorySegment weights, MemorySegment bias, MemorySegment dst, int threads) {
        dnnl.setThreads(threads);
        Shape shape = new Shape(m, k, n, srcType, !bias.equals(MemorySegment.NULL), threads);
        Primitive p = kept.get(shape);
        boolean temporary = false;
        if (p == null) {
            p = create(shape);
            if (kept.size() < MAX_KEPT) {
                Primitive raced = kept.putIfAbsent(shape, p);
                if (raced != null) {
                    destroy(p);
                    p = raced;
                }
            } else {
                temporary = true;
            }
        }
        try {
            dnnl.execute(p.handle(), streams.get(), ARGS, p.mds(), new MemorySegment[] {src, weights, bias, dst});
            ran.add(p.implementation());
            executed.incrementAndGet();
        } finally {
            if (temporary) destroy(p);
        }
    }

    /**
     * Whether oneDNN computes this product with a real kernel (not {@code ref:...}, its slow reference code, and not
     * unimplemented); asked once per product shape.
     */
    boolean fast(int m, int k, int n, int srcType, boolean bias) {
        return fast.computeIfAbsent(new Product(m, k, n, srcType, bias), p -> {
            String implementation = implementationFor(m, k, n, srcType, bias);
            return implementation != null && !implementation.startsWith("ref");
        });
    }

    /** The implementation oneDNN chooses for a shape, or null where it has none ({@code unimplemented}). */
    String implementationFor(int m, int k, int n, int srcType) {
        return implementationFor(m, k, n, srcType, false);
    }

    private String implementationFor(int m, int k, int n, int srcType, boolean bias) {
        dnnl.setThreads(1);
        try {
            Primitive p = create(new Shape(m, k, n, srcType, bias, 1));
            destroy(p);
            return p.implementation();
        } catch (Dnnl.DnnlException e) {
            if (e.unimplemented()) return null;
            throw e;
        }
    }

    /** Products oneDNN has run so far. */
    long executed() {
        return executed.get();
    }

    /** The implementations that have run, in no order. */
    List<String> ran() {
        return new ArrayList<>(ran);
    }

    private Primitive create(Shape s) {
        MemorySegment[] mds = {
                dnnl.memoryDesc(s.m(), s.k(), s.srcType(), s.k(), 1),
                dnnl.memoryDesc(s.k(), s.n(), Dnnl.BF16, 1, s.k()),
                s.bias() ? dnnl.memoryDesc(1, s.n(), Dnnl.F32, s.n(), 1) : MemorySegment.NULL,
                dnnl.memoryDesc(s.m(), s.n(), Dnnl.F32, s.n(), 1)};
        MemorySegment pd = null;
        try {
            pd = dnnl.matmulDesc(mds[0], mds[1], mds[2], mds[3]);
            String implementation = dnnl.implementation(pd);
            return new Primitive(dnnl.primitive(pd), mds, implementation);
        } catch (RuntimeException e) {
            for (MemorySegment md : mds) if (!md.equals(MemorySegment.NULL)) dnnl.destroyMemoryDesc(md);
            throw e;
        } finally {
            if (pd != null) dnnl.destroyDesc(pd);
        }
    }

    private void destroy(Primitive p) {
        dnnl.destroyPrimitive(p.handle());
        for (MemorySegment md : p.mds()) if (!md.equals(MemorySegment.NULL)) dnnl.destroyMemoryDesc(md);
    }
}
