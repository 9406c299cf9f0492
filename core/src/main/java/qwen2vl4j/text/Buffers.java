package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;

/** Work arrays for a forward pass over {@code rows} tokens; reused across decode steps of a session. */
final class Buffers {
    final int rows;
    final int hidden;
    final float[] x;      // [rows, hidden] residual stream
    final float[] h;      // [rows, hidden] normed input of a sub-block
    final float[] o;      // [rows, hidden] sub-block output
    final float[] q;      // [rows, heads·headDim]
    final float[] k;      // [rows, kvDim]
    final float[] v;      // [rows, kvDim]
    final float[] attn;   // [rows, heads·headDim] attention output before o_proj
    final float[] gate;   // [rows, intermediate]
    final float[] up;     // [rows, intermediate]
    final float[] cos;    // [rows, headDim/2]
    final float[] sin;    // [rows, headDim/2]
    float[][] scores;     // [heads][keys] attention scores, one row per query head

    Buffers(TextConfig c, int rows, int keys) {
        this.rows = rows;
        this.hidden = c.hiddenSize();
        int qDim = c.numAttentionHeads() * c.headDim();
        x = new float[rows * c.hiddenSize()];
        h = new float[rows * c.hiddenSize()];
        o = new float[rows * c.hiddenSize()];
        q = new float[rows * qDim];
        k = new float[rows * c.kvDim()];
        v = new float[rows * c.kvDim()];
        attn = new float[rows * qDim];
        gate = new float[rows * c.intermediateSize()];
        up = new float[rows * c.intermediateSize()];
        cos = new float[rows * (c.headDim() / 2)];
        sin = new float[rows * (c.headDim() / 2)];
        scores = new float[c.numAttentionHeads()][keys];
    }

    /** Grows the score rows to hold {@code keys} values. */
    void ensureKeys(int keys) {
        if (scores[0].length >= keys) return;
        int n = Math.max(keys, scores[0].length * 2);
        scores = new float[scores.length][n];
    }
}
