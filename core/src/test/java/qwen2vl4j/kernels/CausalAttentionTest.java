package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link CausalAttention} against its scalar twin {@link TextOpsReference#attend}, on odd geometries and contexts. */
class CausalAttentionTest {
    private static final double TOL = 2e-5;
    /** Outputs are O(1): a few float ulps, far below {@link #TOL}·(1 + |x|) only where the split matters. */
    private static final float SAME = 1e-5f;

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    /** A cache of {@code rows} random rows stored as {@code precision}. */
    private static KvRows cache(KvRows.Precision precision, int rows, int width, Random rnd) {
        KvRows r = new KvRows(precision, width);
        r.ensureCapacity(rows + 3);
        r.write(0, gaussian(rnd, rows * width, 2), 0, rows);
        return r;
    }

    /** The stored rows widened to a plain float array, as the scalar twin reads them. */
    private static float[] widened(KvRows r, int rows) {
        float[] out = new float[rows * r.width()];
        for (int t = 0; t < rows; t++) for (int c = 0; c < r.width(); c++) out[t * r.width() + c] = r.get(t, c);
        return out;
    }

    /** Scalar twin: each row and head through {@link TextOpsReference#attend}. */
    private static float[] twin(float[] q, int rows, int start, float[] keys, float[] values, int heads, int kvHeads, int headDim) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim;
        float[] out = new float[rows * qDim], scores = new float[start + rows];
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int i = 0; i < rows; i++) {
            for (int h = 0; h < heads; h++) {
                int off = i * qDim + h * headDim, kvOff = (h / (heads / kvHeads)) * headDim;
                TextOpsReference.attend(q, off, keys, values, kvOff, kvDim, start + i + 1, headDim, scale, scores, out, off);
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({
        // heads, kvHeads, headDim, start, rows
        "6, 2, 19, 0, 1",
        "6, 2, 19, 0, 37",
        "6, 2, 128, 530, 3",
        "6, 2, 40, 1100, 1",
        "4, 4, 35, 31, 9",
        "12, 2, 128, 0, 70",
        "3, 1, 7, 1500, 2",
        "12, 2, 128, 2047, 1",
    })
    void matchesScalarTwinInEveryPrecision(int heads, int kvHeads, int headDim, int start, int rows) {
        for (KvRows.Precision p : KvRows.Precision.values()) {
            Random rnd = new Random(31L * start + rows + headDim);
            int kvDim = kvHeads * headDim, total = start + rows;
            KvRows keys = cache(p, total, kvDim, rnd), values = cache(p, total, kvDim, rnd);
            float[] q = gaussian(rnd, rows * heads * headDim, 1);
            float[] out = new float[q.length];
            new CausalAttention(heads, kvHeads, headDim).attend(q, out, rows, start, keys, values, new CausalAttention.Workspace());
            float[] expected = twin(q, rows, start, widened(keys, total), widened(values, total), heads, kvHeads, headDim);
            for (int i = 0; i < out.length; i++) {
                assertEquals(expected[i], out[i], TOL * (1 + Math.abs(expected[i])), p + " element " + i);
            }
        }
    }

    /**
     * Rows give the same result whether attended in one call, in pieces, or one per cache in a batch (up to the
     * last bits: the JIT's vector reductions and exp may round differently from the interpreter's).
     */
    @ParameterizedTest
    @EnumSource(KvRows.Precision.class)
    void rowsDoNotDependOnHowTheyAreGrouped(KvRows.Precision p) {
        int heads = 6, kvHeads = 2, headDim = 24, kvDim = kvHeads * headDim, qDim = heads * headDim;
        Random rnd = new Random(7);
        int start = 600, rows = 21, total = start + rows;
        KvRows keys = cache(p, total, kvDim, rnd), values = cache(p, total, kvDim, rnd);
        float[] q = gaussian(rnd, rows * qDim, 1);
        CausalAttention attention = new CausalAttention(heads, kvHeads, headDim);
        CausalAttention.Workspace ws = new CausalAttention.Workspace();
        float[] whole = new float[q.length];
        attention.attend(q, whole, rows, start, keys, values, ws);

        int split = 13;
        float[] first = new float[split * qDim], second = new float[(rows - split) * qDim];
        attention.attend(Arrays.copyOf(q, split * qDim), first, split, start, keys, values, ws);
        attention.attend(Arrays.copyOfRange(q, split * qDim, q.length), second, rows - split, start + split, keys, values, ws);
        assertArrayEquals(Arrays.copyOf(whole, split * qDim), first, SAME, "first piece");
        assertArrayEquals(Arrays.copyOfRange(whole, split * qDim, whole.length), second, SAME, "second piece");

        int[] starts = new int[rows];
        KvRows[] ks = new KvRows[rows], vs = new KvRows[rows];
        for (int i = 0; i < rows; i++) {
            starts[i] = start + i;
            ks[i] = keys;
            vs[i] = values;
        }
        float[] batched = new float[q.length];
        attention.attend(q, batched, rows, starts, ks, vs, ws);
        for (int i = 0; i < rows; i++) {
            float[] alone = new float[qDim];
            attention.attend(Arrays.copyOfRange(q, i * qDim, (i + 1) * qDim), alone, 1, start + i, keys, values, ws);
            assertArrayEquals(alone, Arrays.copyOfRange(batched, i * qDim, (i + 1) * qDim), SAME, "batched row " + i);
        }
    }

    /** Rows of different caches in one call (a batched decode step, or decode rows beside a prefill) equal each row alone. */
    @ParameterizedTest
    @EnumSource(KvRows.Precision.class)
    void rowsOfSeveralCachesEqualEachRowAlone(KvRows.Precision p) {
        int heads = 4, kvHeads = 2, headDim = 16, kvDim = kvHeads * headDim, qDim = heads * headDim;
        Random rnd = new Random(11);
        KvRows k1 = cache(p, 700, kvDim, rnd), v1 = cache(p, 700, kvDim, rnd);
        KvRows k2 = cache(p, 40, kvDim, rnd), v2 = cache(p, 40, kvDim, rnd);
        int[] slots = {650, 3, 651, 652, 20};
        KvRows[] ks = {k1, k2, k1, k1, k2}, vs = {v1, v2, v1, v1, v2};
        int rows = slots.length;
        float[] q = gaussian(rnd, rows * qDim, 1), together = new float[q.length];
        CausalAttention attention = new CausalAttention(heads, kvHeads, headDim);
        CausalAttention.Workspace ws = new CausalAttention.Workspace();
        attention.attend(q, together, rows, slots, ks, vs, ws);
        for (int i = 0; i < rows; i++) {
            float[] alone = new float[qDim];
            attention.attend(Arrays.copyOfRange(q, i * qDim, (i + 1) * qDim), alone, 1, slots[i], ks[i], vs[i], ws);
            assertArrayEquals(alone, Arrays.copyOfRange(together, i * qDim, (i + 1) * qDim), SAME, "row " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> attention.attend(q, together, rows, new int[] {1}, ks, vs, ws));
    }

    @ParameterizedTest
    @EnumSource(KvRows.Precision.class)
    void refusesACacheTooSmallOrTooNarrow(KvRows.Precision p) {
        CausalAttention attention = new CausalAttention(4, 2, 8);
        KvRows small = new KvRows(p, 16);
        small.ensureCapacity(4);
        float[] q = new float[32], out = new float[32];
        assertThrows(IllegalArgumentException.class, () -> attention.attend(q, out, 1, 4, small, small, new CausalAttention.Workspace()));
        KvRows narrow = new KvRows(p, 15);
        narrow.ensureCapacity(8);
        assertThrows(IllegalArgumentException.class, () -> attention.attend(q, out, 1, 0, narrow, narrow, new CausalAttention.Workspace()));
    }
}
