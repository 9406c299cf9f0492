package qwen2vl4j.kernels;

import qwen2vl4j.io.Device;
import qwen2vl4j.io.Precision;

/**
 * The matrix products of the model, behind one seam: every linear layer of the vision tower and the text decoder
 * reaches its weights through {@link MatMul}, which checks the sizes and hands the call to the backend its weight
 * {@link Matrix} was loaded for ({@link Matrix#backend()}, from the {@link qwen2vl4j.io.Weights}' device). So a
 * second implementation (native, GPU) plugs in through a {@link ComputeBackendProvider} without a change to the
 * model code. {@link JavaBackend} is the built-in one.
 *
 * <p>Every product computes {@code out[n, w.rows()] = x[n, w.cols()] · Wᵀ + bias} (row-major, bias may be null,
 * {@code out} overwritten) to float32 rounding; the sizes have been checked when a method is called. The fused
 * forms take several matrices of the same width with one input, so that a backend can run them as one pass; their
 * defaults make one call per matrix. Implementations are shared by every thread of a model and must be thread-safe.
 */
public interface ComputeBackend extends Device {
    /** The name it is selected by ({@code LoadOptions.backend}, {@code --backend}), e.g. {@code java}. */
    @Override
    String name();

    /** What computes, for reports: e.g. {@code Vector API, 16 f32 lanes (512-bit), 2 threads}. */
    String implementation();

    /** The arithmetic of its large products ({@link Precision#F32} unless it was created for another). */
    default Precision precision() {
        return Precision.F32;
    }

    /** {@code out = x · Wᵀ + bias} for {@code n ≥ 1} input rows. */
    void gemm(float[] x, int n, Matrix w, float[] bias, float[] out);

    /** {@code out = W · x + bias} for one input row: the decode step's product, bound by reading {@code W}. */
    void gemv(float[] x, Matrix w, float[] bias, float[] out);

    /**
     * {@code out = x · Wᵀ + bias} for {@code n ≥ 1} rows that must each come out the same whatever {@code n} and the
     * other rows: a prompt's (a prefill pass) and the vision tower's. A backend that computes them so overrides this
     * and says so in {@link #rowStable()}: a prompt prefilled in pieces, or after a cached prefix, then equals one
     * pass bit for bit, and an image encoded alone equals the same image encoded beside others. The default is
     * {@link #gemv} for one row and {@link #gemm} for more.
     */
    default void rowStableGemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        product(x, n, w, bias, out);
    }

    /** Whether {@link #rowStableGemm} gives each row the same bits whatever {@code n} and the other rows. */
    default boolean rowStable() {
        return false;
    }

    /** {@code out0 = x · W0ᵀ + b0} and {@code out1 = x · W1ᵀ + b1} (e.g. the gate and up projections). */
    default void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1) {
        product(x, n, w0, b0, out0);
        product(x, n, w1, b1, out1);
    }

    /** {@code out_i = x · W_iᵀ + b_i} for three matrices (e.g. the q, k and v projections). */
    default void gemm(float[] x, int n, Matrix w0, float[] b0, float[] out0, Matrix w1, float[] b1, float[] out1,
                      Matrix w2, float[] b2, float[] out2) {
        product(x, n, w0, b0, out0);
        product(x, n, w1, b1, out1);
        product(x, n, w2, b2, out2);
    }

    /**
     * The first half of a SwiGLU MLP (HF Qwen2MLP: {@code act_fn(gate_proj(x)) * up_proj(x)}): {@code upOut = x · Uᵀ},
     * {@code gateOut = silu(x · Gᵀ) ⊙ upOut}. The default takes both products, then the activation of the Java kernels.
     */
    default void swiGlu(float[] x, int n, Matrix gate, Matrix up, float[] gateOut, float[] upOut) {
        gemm(x, n, gate, null, gateOut, up, null, upOut);
        JavaBackend.siluMul(gateOut, upOut, n * gate.rows());
    }

    /** {@link #gemv} for one row, {@link #gemm} for more. */
    private void product(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (n == 1) gemv(x, w, bias, out);
        else gemm(x, n, w, bias, out);
    }
}
