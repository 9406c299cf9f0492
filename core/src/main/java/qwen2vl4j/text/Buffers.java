package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.kernels.CausalAttention;
import qwen2vl4j.kernels.KvRows;
import qwen2vl4j.kernels.MatMul;

/**
 * Work arrays for a forward pass over {@code rows} new tokens, and where each of them goes: row {@code i} is
 * cached at slot {@code slots[i]} of {@code caches[i]} (its session's cache) and attends to that cache's slots
 * {@code 0 .. slots[i]}. One session's prefill has one cache and consecutive slots; a batched decode step one
 * row per session. Reused across decode steps of a session.
 */
final class Buffers {
    final int rows;
    /**
     * Whether each row must come out the same whatever the pass's size (a prompt's rows in a prefill): the products
     * and attention then take the row-stable kernels ({@link MatMul#rowStableMatmul}), so that a prompt in pieces, or
     * after a cached start, equals one pass bit for bit. Otherwise (a decode step, a batched one) the kernels fastest
     * for the number of rows.
     */
    final boolean rowStable;
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
    final KvCache[] caches; // [rows] the cache each row belongs to
    final int[] slots;      // [rows] the cache row each new token is written to
    final KvRows[] keys;    // [rows] the current layer's keys of caches[i] (filled by Attention)
    final KvRows[] values;  // [rows] likewise, values
    final CausalAttention.Workspace attention = new CausalAttention.Workspace();

    Buffers(TextConfig c, int rows, boolean rowStable) {
        this.rows = rows;
        this.rowStable = rowStable;
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
        caches = new KvCache[rows];
        slots = new int[rows];
        keys = new KvRows[rows];
        values = new KvRows[rows];
    }

    /** Row {@code i} goes to slot {@code slot} of {@code cache}. */
    void place(int i, KvCache cache, int slot) {
        caches[i] = cache;
        slots[i] = slot;
    }
}
