package qwen2vl4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention of new query rows over a key/value cache: {@code out = softmax(q·Kᵀ·scale)·V}
 * per query head, query head {@code h} reading kv head {@code h / (heads / kvHeads)}, row {@code i} at cache
 * position {@code p} seeing keys {@code 0..p}.
 *
 * <p>How it runs: the query heads that share a kv head (a <em>group</em>) and up to {@link #ROWS_PER_UNIT}
 * query rows are attended together, so every cached key and value row is read from memory once per group
 * and then reused from the L1 cache. With many queries in a pass (a prefill), the scores of a block are a small
 * GEMM of key rows against the transposed queries; with few (a decode step), one vector dot product per query
 * and key. Keys are taken in blocks of {@link #BLOCK} with an online softmax
 * (running max, vector exp, rescaled accumulators), and in chunks of {@link #CHUNK} whose partial results
 * (max, sum of exps, unnormalised output) are merged in chunk order. The split over the {@link ComputePool}
 * is over (row unit × group), and over chunks too when that leaves the pool idle (one decode token); the
 * arithmetic of a row does not depend on the split. In a prefill pass ({@code promptRows}) it does not depend on
 * the pass's size either: a prompt's row gives the same result alone, in pieces or in one pass.
 * Scratch lives per thread and in the caller's {@link Workspace}: nothing is allocated per call beyond the
 * pool's task objects. {@code TextOpsReference.attend} (test tree) is the scalar twin.
 */
public final class CausalAttention {
    /** Keys per online-softmax step. */
    static final int BLOCK = 32;
    /** Queries of a pass from which scores are computed as a small GEMM against the transposed queries. */
    static final int PANEL_QUERIES = 2 * VectorKernels.L;
    /** Keys per independently computed partial result (a multiple of {@link #BLOCK}). */
    static final int CHUNK = 512;
    /** Query rows attended together in a prefill. */
    static final int ROWS_PER_UNIT = 16;
    /** Queries and lanes per tile of {@link #packPanel}'s transpose. */
    private static final int PACK_TILE = 8;
    /** Below this many multiply-adds a call runs on the calling thread. */
    private static final long SERIAL_WORK = 1L << 16;

    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = VectorKernels.L;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final float scale;

    /** Attention with {@code heads} query heads over {@code kvHeads} kv heads of {@code headDim} lanes, scale {@code 1/√headDim}. */
    public CausalAttention(int heads, int kvHeads, int headDim) {
        if (heads < 1 || kvHeads < 1 || headDim < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention geometry: " + heads + " query heads must be a positive multiple of "
                    + kvHeads + " kv heads, head dim " + headDim);
        }
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = heads / kvHeads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /** State reused across calls: the unit table and the partial results of split chunks. Not thread-safe. */
    public static final class Workspace {
        private int[] row0 = new int[0];
        private int[] rows = new int[0];
        private int[] pos0 = new int[0];
        private KvRows[] keys = new KvRows[0];
        private KvRows[] values = new KvRows[0];
        private float[] acc = new float[0];
        private float[] max = new float[0];
        private float[] sum = new float[0];
        /** Whether the current call computes every unit's scores from the query panel (a prefill pass). */
        private boolean panelAlways;

        private void ensureUnits(int n) {
            if (row0.length >= n) return;
            int c = Math.max(n, 2 * row0.length);
            row0 = new int[c];
            rows = new int[c];
            pos0 = new int[c];
            keys = new KvRows[c];
            values = new KvRows[c];
        }

        private void ensurePartials(int queries, int headDim) {
            if (max.length >= queries) return;
            int c = Math.max(queries, 2 * max.length);
            acc = new float[Math.multiplyExact(c, headDim)];
            max = new float[c];
            sum = new float[c];
        }
    }

    /** Per-thread buffers of one (unit, group) pass. */
    private static final class Scratch {
        float[] queries = new float[0], scores = new float[0], kTile = new float[0], vTile = new float[0];
        float[] panel = new float[0], scoresT = new float[0];
        float[] acc = new float[0], max = new float[0], sum = new float[0];
        float[] runAcc = new float[0], runMax = new float[0], runSum = new float[0];

        void ensure(int n, int headDim) {
            if (max.length >= n && kTile.length >= BLOCK * headDim && queries.length >= n * headDim) return;
            int padded = padded(n);
            queries = new float[n * headDim];
            panel = new float[padded * headDim];
            scores = new float[n * BLOCK];
            scoresT = new float[BLOCK * padded];
            kTile = new float[BLOCK * headDim];
            vTile = new float[BLOCK * headDim];
            acc = new float[n * headDim];
            runAcc = new float[n * headDim];
            max = new float[n];
            sum = new float[n];
            runMax = new float[n];
            runSum = new float[n];
        }
    }

    /**
     * Attends {@code rows} new query rows {@code q [rows, heads·headDim]}, row {@code i} at cache position
     * {@code slots[i]} of {@code keys[i]} / {@code values[i]} (its own key and value already stored there), and
     * writes {@code out [rows, heads·headDim]}. Rows may come from one cache (a prefill: consecutive slots), from
     * one cache each (a batched decode step), or any mix: consecutive rows of one cache at consecutive slots are
     * attended together, {@link #ROWS_PER_UNIT} at a time, and a row's arithmetic does not depend on that grouping.
     */
    public void attend(float[] q, float[] out, int rows, int[] slots, KvRows[] keys, KvRows[] values, Workspace ws) {
        attend(q, out, rows, slots, keys, values, ws, false);
    }

    /**
     * {@link #attend(float[], float[], int, int[], KvRows[], KvRows[], Workspace)}; with {@code promptRows} (a
     * prefill pass) every unit's scores come from the query panel, as many queries' do, so that a row's result does
     * not depend on how many rows its pass holds: a prompt prefilled in pieces, or after a cached prefix, equals one
     * pass bit for bit. Without it a unit of few queries (a decode step) takes one vector dot product per query and
     * key, which is faster there and sums in another order.
     */
    public void attend(float[] q, float[] out, int rows, int[] slots, KvRows[] keys, KvRows[] values, Workspace ws,
                       boolean promptRows) {
        ws.panelAlways = promptRows;
        if (slots.length < rows || keys.length < rows || values.length < rows) {
            throw new IllegalArgumentException("attention over " + rows + " rows needs a slot and a cache per row, found "
                    + slots.length + " slots, " + keys.length + " key and " + values.length + " value caches");
        }
        ws.ensureUnits(rows);
        int units = 0;
        for (int i = 0; i < rows; ) {
            int j = i + 1;
            while (j < rows && j - i < ROWS_PER_UNIT && keys[j] == keys[i] && values[j] == values[i] && slots[j] == slots[j - 1] + 1) j++;
            checkCache(keys[i], values[i], slots[i] + (j - i), i);
            setUnit(ws, units++, i, j - i, slots[i], keys[i], values[i]);
            i = j;
        }
        run(q, out, units, ws);
    }

    /**
     * {@link #attend(float[], float[], int, int[], KvRows[], KvRows[], Workspace)} for rows of one cache at
     * consecutive positions {@code start ..} (without the per-row arrays).
     */
    public void attend(float[] q, float[] out, int rows, int start, KvRows keys, KvRows values, Workspace ws) {
        ws.panelAlways = false;
        checkCache(keys, values, start + rows, 0);
        int units = (rows + ROWS_PER_UNIT - 1) / ROWS_PER_UNIT;
        ws.ensureUnits(units);
        for (int u = 0; u < units; u++) {
            int row0 = u * ROWS_PER_UNIT;
            setUnit(ws, u, row0, Math.min(ROWS_PER_UNIT, rows - row0), start + row0, keys, values);
        }
        run(q, out, units, ws);
    }

    private static void setUnit(Workspace ws, int u, int row0, int rows, int pos0, KvRows keys, KvRows values) {
        ws.row0[u] = row0;
        ws.rows[u] = rows;
        ws.pos0[u] = pos0;
        ws.keys[u] = keys;
        ws.values[u] = values;
    }

    private void checkCache(KvRows keys, KvRows values, int needed, int index) {
        int kvDim = kvHeads * headDim;
        if (keys.width() != kvDim || values.width() != kvDim) {
            throw new IllegalArgumentException("cache " + index + ": rows of " + keys.width() + "/" + values.width()
                    + " values, expected kvHeads·headDim = " + kvDim);
        }
        if (keys.capacity() < needed || values.capacity() < needed) {
            throw new IllegalArgumentException("cache " + index + " holds " + Math.min(keys.capacity(), values.capacity())
                    + " rows, attention needs " + needed);
        }
    }

    /** Queries rounded up to whole pairs of vectors (the panel's width). */
    private static int padded(int queries) {
        return (queries + 2 * L - 1) / (2 * L) * (2 * L);
    }

    private static int chunks(int keys) {
        return (keys + CHUNK - 1) / CHUNK;
    }

    private void run(float[] q, float[] out, int units, Workspace ws) {
        int maxChunks = 0, maxRows = 0;
        long work = 0;
        for (int u = 0; u < units; u++) {
            int keys = ws.pos0[u] + ws.rows[u];
            maxChunks = Math.max(maxChunks, chunks(keys));
            maxRows = Math.max(maxRows, ws.rows[u]);
            work += (long) ws.rows[u] * keys * heads * headDim;
        }
        int pairs = units * kvHeads;
        if (work < SERIAL_WORK) {
            for (int t = 0; t < pairs; t++) unit(q, out, ws, t / kvHeads, t % kvHeads);
        } else if (maxChunks == 1 || pairs >= 2 * ComputePool.threads()) {
            ComputePool.forEach(pairs, t -> unit(q, out, ws, t / kvHeads, t % kvHeads));
        } else {
            splitChunks(q, out, units, maxChunks, maxRows, ws);
        }
    }

    /** Every chunk of every (unit, group) as its own task, then the merges in chunk order. */
    private void splitChunks(float[] q, float[] out, int units, int maxChunks, int maxRows, Workspace ws) {
        int slotQueries = maxRows * group;
        int slots = units * kvHeads * maxChunks;
        ws.ensurePartials(slots * slotQueries, headDim);
        ComputePool.forEach(slots, s -> {
            int c = s % maxChunks, pair = s / maxChunks, u = pair / kvHeads, g = pair % kvHeads;
            if (c >= chunks(ws.pos0[u] + ws.rows[u])) return;
            Scratch sc = scratch(slotQueries);
            int base = s * slotQueries;
            chunk(q, ws, u, g, c, sc, ws.acc, base * headDim, ws.max, ws.sum, base);
        });
        for (int pair = 0; pair < units * kvHeads; pair++) {
            int u = pair / kvHeads, g = pair % kvHeads, n = ws.rows[u] * group;
            int first = pair * maxChunks * slotQueries;
            for (int c = 1; c < chunks(ws.pos0[u] + ws.rows[u]); c++) {
                int other = (pair * maxChunks + c) * slotQueries;
                merge(ws.acc, ws.max, ws.sum, first, ws.acc, ws.max, ws.sum, other, n);
            }
            normalise(ws.acc, ws.sum, first, out, ws, u, g);
        }
    }

    /** All chunks of one (unit, group) on this thread, merged in chunk order. */
    private void unit(float[] q, float[] out, Workspace ws, int u, int g) {
        int n = ws.rows[u] * group;
        Scratch sc = scratch(n);
        int chunks = chunks(ws.pos0[u] + ws.rows[u]);
        chunk(q, ws, u, g, 0, sc, sc.runAcc, 0, sc.runMax, sc.runSum, 0);
        for (int c = 1; c < chunks; c++) {
            chunk(q, ws, u, g, c, sc, sc.acc, 0, sc.max, sc.sum, 0);
            merge(sc.runAcc, sc.runMax, sc.runSum, 0, sc.acc, sc.max, sc.sum, 0, n);
        }
        normalise(sc.runAcc, sc.runSum, 0, out, ws, u, g);
    }

    private Scratch scratch(int queries) {
        Scratch sc = SCRATCH.get();
        sc.ensure(queries, headDim);
        return sc;
    }

    /**
     * Keys {@code [c·CHUNK, (c+1)·CHUNK)} for the query heads of group {@code g} in the rows of unit {@code u}:
     * query {@code i = row·group + head} gets its running max in {@code max[mOff+i]}, its sum of exps in
     * {@code sum[mOff+i]} and its unnormalised output in {@code acc[aOff + i·headDim ..]}.
     */
    private void chunk(float[] q, Workspace ws, int u, int g, int c, Scratch sc,
                       float[] acc, int aOff, float[] max, float[] sum, int mOff) {
        int rows = ws.rows[u], pos0 = ws.pos0[u], n = rows * group, d = headDim;
        int qDim = heads * d, kvDim = kvHeads * d;
        KvRows keys = ws.keys[u], values = ws.values[u];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(q, (ws.row0[u] + r) * qDim + g * group * d, sc.queries, r * group * d, group * d);
        }
        boolean panel = ws.panelAlways || n >= PANEL_QUERIES;
        if (panel) packPanel(sc.queries, n, d, sc.panel, padded(n));
        java.util.Arrays.fill(acc, aOff, aOff + n * d, 0f);
        java.util.Arrays.fill(max, mOff, mOff + n, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, mOff, mOff + n, 0f);
        int from = c * CHUNK, to = Math.min(from + CHUNK, pos0 + rows);
        float[] s = sc.scores;
        for (int b0 = from; b0 < to; b0 += BLOCK) {
            int b1 = Math.min(b0 + BLOCK, to), len = b1 - b0;
            float[] kArr, vArr;
            int kOff, vOff, stride;
            if (keys.precision() == KvRows.Precision.F32) {
                kArr = keys.floats();
                vArr = values.floats();
                kOff = vOff = b0 * kvDim + g * d;
                stride = kvDim;
            } else {
                keys.widen(b0, len, g * d, d, sc.kTile);
                values.widen(b0, len, g * d, d, sc.vTile);
                kArr = sc.kTile;
                vArr = sc.vTile;
                kOff = vOff = 0;
                stride = d;
            }
            if (panel) {
                panelScores(kArr, kOff, stride, len, sc.panel, padded(n), d, sc.scoresT);
                transposeScores(sc.scoresT, padded(n), len, n, s);
            } else {
                for (int t = 0; t < len; t++) {                  // each key row once, against every query of the group
                    int key = b0 + t;
                    for (int r = Math.max(0, key - pos0); r < rows; r++) {
                        for (int h = 0; h < group; h++) {
                            int i = r * group + h;
                            s[i * BLOCK + t] = VectorKernels.dot(sc.queries, i * d, kArr, kOff + t * stride, d) * scale;
                        }
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                int valid = Math.min(len, pos0 + r + 1 - b0);
                if (valid <= 0) continue;
                for (int h = 0; h < group; h++) {
                    int i = r * group + h;
                    softmaxStep(s, i * BLOCK, valid, acc, aOff + i * d, max, sum, mOff + i, d);
                    weightedSum(s, i * BLOCK, valid, vArr, vOff, stride, acc, aOff + i * d, d);
                }
            }
        }
    }

    /**
     * {@code panel[j·width + i] = queries[i·d + j]}: the queries transposed, zero past {@code n}; in tiles of
     * {@link #PACK_TILE} queries by lanes. (Column by column, the reads of one column lie {@code d} floats apart: at
     * d = 128 they fall into a few L1 sets and missed on every read, 12.5% of a 1024-row prefill's attention in a
     * profile on Zen 3.)
     */
    private static void packPanel(float[] queries, int n, int d, float[] panel, int width) {
        for (int i0 = 0; i0 < n; i0 += PACK_TILE) {
            int i1 = Math.min(n, i0 + PACK_TILE);
            for (int j0 = 0; j0 < d; j0 += PACK_TILE) {
                int j1 = Math.min(d, j0 + PACK_TILE);
                for (int j = j0; j < j1; j++) {
                    int row = j * width;
                    for (int i = i0; i < i1; i++) panel[row + i] = queries[i * d + j];
                }
            }
        }
        for (int j = 0; j < d; j++) java.util.Arrays.fill(panel, j * width + n, (j + 1) * width, 0f);
    }

    /**
     * {@code out[t·width + i] = Σ_j k[kOff + t·stride + j] · panel[j·width + i]} for {@code t < len}, {@code i < width}
     * (a multiple of 2·L): four keys against two query vectors at a time, each product accumulated over j in order.
     */
    static void panelScores(float[] k, int kOff, int stride, int len, float[] panel, int width, int d, float[] out) {
        int t = 0;
        for (; t <= len - 4; t += 4) {
            int k0 = kOff + t * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
            for (int i = 0; i < width; i += 2 * L) {
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int j = 0, p = i; j < d; j++, p += width) {
                    FloatVector q0 = FloatVector.fromArray(F, panel, p), q1 = FloatVector.fromArray(F, panel, p + L);
                    FloatVector a = FloatVector.broadcast(F, k[k0 + j]);
                    c00 = a.fma(q0, c00);
                    c01 = a.fma(q1, c01);
                    a = FloatVector.broadcast(F, k[k1 + j]);
                    c10 = a.fma(q0, c10);
                    c11 = a.fma(q1, c11);
                    a = FloatVector.broadcast(F, k[k2 + j]);
                    c20 = a.fma(q0, c20);
                    c21 = a.fma(q1, c21);
                    a = FloatVector.broadcast(F, k[k3 + j]);
                    c30 = a.fma(q0, c30);
                    c31 = a.fma(q1, c31);
                }
                int o = t * width + i;
                c00.intoArray(out, o);
                c01.intoArray(out, o + L);
                c10.intoArray(out, o + width);
                c11.intoArray(out, o + width + L);
                c20.intoArray(out, o + 2 * width);
                c21.intoArray(out, o + 2 * width + L);
                c30.intoArray(out, o + 3 * width);
                c31.intoArray(out, o + 3 * width + L);
            }
        }
        for (; t < len; t++) {
            int k0 = kOff + t * stride;
            for (int i = 0; i < width; i += 2 * L) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0;
                for (int j = 0, p = i; j < d; j++, p += width) {
                    FloatVector a = FloatVector.broadcast(F, k[k0 + j]);
                    c0 = a.fma(FloatVector.fromArray(F, panel, p), c0);
                    c1 = a.fma(FloatVector.fromArray(F, panel, p + L), c1);
                }
                c0.intoArray(out, t * width + i);
                c1.intoArray(out, t * width + i + L);
            }
        }
    }

    /** {@code s[i·BLOCK + t] = scoresT[t·width + i] · scale} for {@code i < n}, {@code t < len}. */
    private void transposeScores(float[] scoresT, int width, int len, int n, float[] s) {
        for (int t = 0; t < len; t++) {
            int row = t * width;
            for (int i = 0; i < n; i++) s[i * BLOCK + t] = scoresT[row + i] * scale;
        }
    }

    /**
     * The online softmax of one query over one block: raises the running max to cover {@code s[sOff..+n)},
     * rescales the accumulator and sum to it, turns the scores into {@code exp(s − max)} and adds them to the sum.
     */
    private static void softmaxStep(float[] s, int sOff, int n, float[] acc, int aOff, float[] max, float[] sum, int m, int d) {
        FloatVector lanesMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);   // a max is exact in any order
        int t = 0;
        for (; t <= n - L; t += L) lanesMax = lanesMax.max(FloatVector.fromArray(F, s, sOff + t));
        float blockMax = lanesMax.reduceLanes(VectorOperators.MAX);
        for (; t < n; t++) blockMax = Math.max(blockMax, s[sOff + t]);
        float old = max[m], newMax = Math.max(old, blockMax);
        if (old != newMax && old != Float.NEGATIVE_INFINITY) {
            float corr = (float) Math.exp(old - newMax);
            sum[m] *= corr;
            scale(acc, aOff, d, corr);
        }
        max[m] = newMax;
        sum[m] += expInPlace(s, sOff, n, newMax);
    }

    /** {@code x[off+i] = exp(x[off+i] − shift)} for {@code i < n}; returns their sum. */
    static float expInPlace(float[] x, int off, int n, float shift) {
        FloatVector total = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = VisionVectorKernels.exp(FloatVector.fromArray(F, x, off + i).sub(shift));   // not lane EXP: its bits change once the JIT compiles the loop
            e.intoArray(x, off + i);
            total = total.add(e);
        }
        float s = total.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - shift);
            x[off + i] = e;
            s += e;
        }
        return s;
    }

    /** {@code acc[aOff + j] += Σ_t p[pOff+t] · v[vOff + t·stride + j]} for {@code j < d}, {@code t < n}. */
    static void weightedSum(float[] p, int pOff, int n, float[] v, int vOff, int stride, float[] acc, int aOff, int d) {
        int j = 0;
        for (; j <= d - 4 * L; j += 4 * L) {
            int a = aOff + j;
            FloatVector a0 = FloatVector.fromArray(F, acc, a), a1 = FloatVector.fromArray(F, acc, a + L);
            FloatVector a2 = FloatVector.fromArray(F, acc, a + 2 * L), a3 = FloatVector.fromArray(F, acc, a + 3 * L);
            for (int t = 0, row = vOff + j; t < n; t++, row += stride) {
                FloatVector w = FloatVector.broadcast(F, p[pOff + t]);
                a0 = w.fma(FloatVector.fromArray(F, v, row), a0);
                a1 = w.fma(FloatVector.fromArray(F, v, row + L), a1);
                a2 = w.fma(FloatVector.fromArray(F, v, row + 2 * L), a2);
                a3 = w.fma(FloatVector.fromArray(F, v, row + 3 * L), a3);
            }
            a0.intoArray(acc, a);
            a1.intoArray(acc, a + L);
            a2.intoArray(acc, a + 2 * L);
            a3.intoArray(acc, a + 3 * L);
        }
        for (; j <= d - L; j += L) {
            FloatVector a0 = FloatVector.fromArray(F, acc, aOff + j);
            for (int t = 0, row = vOff + j; t < n; t++, row += stride) {
                a0 = FloatVector.broadcast(F, p[pOff + t]).fma(FloatVector.fromArray(F, v, row), a0);
            }
            a0.intoArray(acc, aOff + j);
        }
        for (; j < d; j++) {
            float a = acc[aOff + j];
            for (int t = 0, row = vOff + j; t < n; t++, row += stride) a = Math.fma(p[pOff + t], v[row], a);
            acc[aOff + j] = a;
        }
    }

    private static void scale(float[] x, int off, int n, float f) {
        int i = 0;
        for (; i <= n - L; i += L) FloatVector.fromArray(F, x, off + i).mul(f).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= f;
    }

    /** Folds the partials of {@code n} queries at {@code other} into those at {@code into} (same max-rescaled form). */
    private void merge(float[] acc, float[] max, float[] sum, int into, float[] oAcc, float[] oMax, float[] oSum, int other, int n) {
        int d = headDim;
        for (int i = 0; i < n; i++) {
            float m1 = max[into + i], m2 = oMax[other + i];
            if (m2 == Float.NEGATIVE_INFINITY) continue;                  // the chunk lies past this query's position
            float m = Math.max(m1, m2);
            float a = (float) Math.exp(m1 - m), b = (float) Math.exp(m2 - m);
            sum[into + i] = sum[into + i] * a + oSum[other + i] * b;
            max[into + i] = m;
            int x = (into + i) * d, y = (other + i) * d;
            for (int j = 0; j < d; j++) acc[x + j] = acc[x + j] * a + oAcc[y + j] * b;
        }
    }

    /** Writes {@code acc / sum} of unit {@code u}, group {@code g} to the output rows. */
    private void normalise(float[] acc, float[] sum, int first, float[] out, Workspace ws, int u, int g) {
        int d = headDim, qDim = heads * d;
        for (int r = 0; r < ws.rows[u]; r++) {
            for (int h = 0; h < group; h++) {
                int i = first + r * group + h;
                float inv = 1f / sum[i];
                int o = (ws.row0[u] + r) * qDim + (g * group + h) * d;
                for (int j = 0; j < d; j++) out[o + j] = acc[i * d + j] * inv;
            }
        }
    }
}
