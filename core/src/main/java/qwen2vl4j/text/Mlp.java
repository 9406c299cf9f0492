package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/** Qwen2MLP: {@code down(silu(gate(h)) ⊙ up(h))}, no biases. */
final class Mlp {
    private final Matrix gateProj, upProj, downProj;

    private Mlp(Matrix gateProj, Matrix upProj, Matrix downProj) {
        this.gateProj = gateProj;
        this.upProj = upProj;
        this.downProj = downProj;
    }

    static Mlp load(Weights w, int layer, TextConfig c) {
        String p = "model.layers." + layer + ".mlp.";
        int hidden = c.hiddenSize(), inter = c.intermediateSize();
        return new Mlp(
                Matrix.of(w.tensor(p + "gate_proj.weight", inter, hidden)),
                Matrix.of(w.tensor(p + "up_proj.weight", inter, hidden)),
                Matrix.of(w.tensor(p + "down_proj.weight", hidden, inter)));
    }

    /** {@code b.o = mlp(b.h)} over {@code b.rows} tokens. */
    void forward(Buffers b) {
        int n = b.rows;
        if (b.rowStable) {                                       // each row's bits whatever the pass's size
            MatMul.rowStableSwiGlu(b.h, n, gateProj, upProj, b.gate, b.up);
            MatMul.rowStableMatmul(b.gate, n, downProj, null, b.o);
            return;
        }
        MatMul.swiGlu(b.h, n, gateProj, upProj, b.gate, b.up);   // gate ← silu(h·Gᵀ) ⊙ h·Uᵀ  [n, intermediate]
        MatMul.matmul(b.gate, n, downProj, null, b.o);        // [n, hidden]
    }

}
