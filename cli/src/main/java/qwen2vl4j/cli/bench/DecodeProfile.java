package qwen2vl4j.cli.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import qwen2vl4j.CheckpointQuantizer;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputeBackend;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.text.KvCacheType;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;

/**
 * Where a decode step's time goes: the decoder loaded again on a backend that times every matrix product it hands
 * on (by kind: q/k/v, o, gate/up with SwiGLU, down, LM head), then decode steps at the prompt's context. What the
 * products do not account for (attention over the cache, norms, rotary, the embedding row, the pool's hand-offs
 * between products) is the step's other work, the part that is not streaming weights.
 */
final class DecodeProfile {
    private DecodeProfile() {}

    /** The profile's fields: {@code step_ms}, {@code products_ms}, each kind's ms, {@code other_ms}, {@code other_fraction}. */
    static Map<String, Object> measure(Path folder, WeightFormat format, ComputeBackend backend, KvCacheType kvCache, int context, int steps,
                                       Figures figures) {
        Timed timed = new Timed(backend);
        ModelConfig config = ModelConfig.load(folder);
        try (Weights weights = CheckpointQuantizer.quantizeAtLoad(Weights.open(folder, timed), config, format)) {
            TextModel text = TextModel.load(weights, config);
            TextSession s = text.newSession(kvCache);
            Random rnd = new Random(9);
            int[] ids = new int[context];
            for (int i = 0; i < context; i++) ids[i] = rnd.nextInt(151_000);
            figures.progress("profile: prefill of " + context + " tokens, decode steps until the JIT settles, then " + steps + " timed ...");
            s.prefill(ids, null, null, s.nextTextPositions(context));
            Timing.untilJitSettles(() -> s.decode(100), ModelBench.WARMUP_SECONDS);
            timed.reset();
            int at = s.length();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) s.decode(200 + i);
            double stepMs = (System.nanoTime() - t0) / 1e6 / steps;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("context", at);
            out.put("step_ms", Timing.round(stepMs));
            double products = 0;
            Map<String, Object> parts = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : timed.nanos.entrySet()) {
                double ms = e.getValue()[0] / 1e6 / steps;
                products += ms;
                parts.put(e.getKey(), Timing.round(ms));
            }
            out.put("products_ms", Timing.round(products));
            out.put("products", parts);
            out.put("other_ms", Timing.round(stepMs - products));
            out.put("other_fraction", Timing.round((stepMs - products) / stepMs));
            figures.progress(String.format("  decode step %.1f ms: matrix products %.1f ms %s, other work %.1f ms (%.0f%%)", stepMs, products,
                    parts, stepMs - products, 100 * (stepMs - products) / stepMs));
            return out;
        }
    }

    /** Hands every product to {@code inner}, adding its wall time to its kind. Used by one thread. */
    private static final class Timed implements ComputeBackend {
        private final ComputeBackend inner;
        final Map<String, long[]> nanos = new LinkedHashMap<>();

        Timed(ComputeBackend inner) {
            this.inner = inner;
        }

        void reset() {
            nanos.clear();
        }

        private void add(Matrix w, long t0) {
            String n = w.name();
            String kind = n.contains("q_proj") || n.contains("k_proj") || n.contains("v_proj") ? "qkv"
                    : n.contains("o_proj") ? "o" : n.contains("gate_proj") || n.contains("up_proj") ? "gate_up_swiglu"
                    : n.contains("down_proj") ? "down" : n.contains("lm_head") || n.contains("embed_tokens") ? "lm_head" : "other_products";
            nanos.computeIfAbsent(kind, k -> new long[1])[0] += System.nanoTime() - t0;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public String implementation() {
            return inner.implementation();
        }

        @Override
        public Precision precision() {
            return inner.precision();
        }

        @Override
        public void gemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
            long t0 = System.nanoTime();
            inner.gemm(x, n, w, bias, out);
            add(w, t0);
        }

        @Override
        public void gemv(float[] x, Matrix w, float[] bias, float[] out) {
            long t0 = System.nanoTime();
            inner.gemv(x, w, bias, out);
            add(w, t0);
        }

        @Override
        public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
            long t0 = System.nanoTime();
            inner.gemm(x, n, w0, b0, out0, w1, b1, out1);
            add(w0, t0);
        }

        @Override
        public void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                         Matrix w2, float[] b2, float[] out2) {
            long t0 = System.nanoTime();
            inner.gemm(x, n, w0, b0, out0, w1, b1, out1, w2, b2, out2);
            add(w0, t0);
        }

        @Override
        public void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
            long t0 = System.nanoTime();
            inner.swiGlu(x, n, gate, up, gateOut, upOut);
            add(gate, t0);
        }
    }
}
