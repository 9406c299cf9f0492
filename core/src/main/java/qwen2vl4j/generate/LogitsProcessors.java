package qwen2vl4j.generate;

import java.util.Arrays;

/**
 * Logits processors and warpers with transformers' semantics, each working in place on the scores of one
 * position (a {@code float[]} of vocabulary size); filtered tokens become {@link Float#NEGATIVE_INFINITY}.
 * Parameters are rounded to float32 as torch does when a Python float meets a float32 tensor.
 *
 * <p>{@link #apply} runs them in transformers' order ({@code GenerationMixin._get_logits_processor}): repetition penalty, then (this engine's
 * additions, OpenAI semantics) presence and frequency penalties, then, only when sampling, temperature,
 * top-k, top-p and min-p.
 */
public final class LogitsProcessors {
    private LogitsProcessors() {}

    /** Runs every processor {@code params} enables, in order, on {@code scores} in place. */
    public static void apply(float[] scores, SamplingParams params, TokenHistory history) {
        if (params.repetitionPenalty() != 1.0) repetitionPenalty(scores, history, params.repetitionPenalty());
        if (params.presencePenalty() != 0.0 || params.frequencyPenalty() != 0.0) {
            presenceFrequencyPenalty(scores, history, params.presencePenalty(), params.frequencyPenalty());
        }
        if (!params.sampling()) return;
        if (params.temperature() != 1.0) temperature(scores, params.temperature());
        if (params.topK() != 0) topK(scores, params.topK());
        if (params.topP() < 1.0) topP(scores, params.topP());
        if (params.minP() > 0.0) minP(scores, params.minP());
    }

    /**
     * transformers' RepetitionPenaltyLogitsProcessor: for every distinct id in prompt and output,
     * {@code s < 0 ? s * penalty : s / penalty}.
     */
    public static void repetitionPenalty(float[] scores, TokenHistory history, double penalty) {
        float p = (float) penalty;
        for (int i = 0; i < history.distinctCount(); i++) {
            int id = checkId(history.distinctAt(i), scores.length);
            float s = scores[id];
            scores[id] = s < 0 ? s * p : s / p;
        }
    }

    /** {@link #repetitionPenalty(float[], TokenHistory, double)} for a plain id sequence (duplicates count once). */
    public static void repetitionPenalty(float[] scores, int[] previousIds, double penalty) {
        repetitionPenalty(scores, new TokenHistory(previousIds), penalty);
    }

    /**
     * OpenAI presence and frequency penalties over the generated tokens:
     * {@code s -= presence * (count > 0) + frequency * count}.
     */
    public static void presenceFrequencyPenalty(float[] scores, TokenHistory history, double presence, double frequency) {
        for (int i = 0; i < history.generatedDistinctCount(); i++) {
            int id = checkId(history.generatedDistinctAt(i), scores.length);
            int count = history.generatedCount(id);
            scores[id] = (float) (scores[id] - presence - frequency * count);
        }
    }

    /** transformers' TemperatureLogitsWarper: {@code s / temperature}, temperature > 0. */
    public static void temperature(float[] scores, double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number > 0 for the warper, found " + temperature);
        }
        float t = (float) temperature;
        for (int i = 0; i < scores.length; i++) scores[i] = scores[i] / t;
    }

    /**
     * transformers' TopKLogitsWarper: every score strictly below the k-th largest becomes -inf (ties with the
     * k-th are kept). A bounded min-heap finds the k-th largest without sorting the vocabulary.
     */
    public static void topK(float[] scores, int k) {
        if (k < 1) throw new IllegalArgumentException("topK must be >= 1 for the warper, found " + k);
        if (k >= scores.length) return;
        float kth = kthLargest(scores, k);
        for (int i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * transformers' TopPLogitsWarper: in ascending order of score, with {@code c} the cumulative softmax, drop every
     * token with {@code c <= 1 - topP}, always keeping the largest. The same set is found from the top down: a
     * token is kept when the probability mass of the tokens ranked above it leaves {@code 1 - above > 1 - topP},
     * so the kept tokens are a prefix of the descending order. That prefix is found by quickselect-style
     * partitioning (expected linear time), without sorting the vocabulary.
     */
    public static void topP(float[] scores, double topP) {
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], found " + topP);
        if (topP >= 1.0) return;
        Softmax sm = Softmax.of(scores);
        if (sm.finiteCount() <= 1) return;
        float threshold = (float) (1.0 - topP);
        int[] ranked = finiteIndices(scores, sm.finiteCount());
        int keep = keptPrefixLength(ranked, scores, sm, threshold);
        keepOnly(scores, ranked, keep);
    }

    /**
     * Rearranges {@code idx} so that its first {@code n} entries are the n highest-ranked tokens and returns n: the
     * number of leading ranks r with {@code r == 0 || (float) (1 - mass of ranks < r) > threshold}.
     */
    private static int keptPrefixLength(int[] idx, float[] scores, Softmax prob, float threshold) {
        int lo = 0, hi = idx.length;  // the first removed rank lies in [lo, hi]; idx[0, lo) is ranked above the rest
        double above = 0;             // mass of idx[0, lo)
        while (hi - lo > 16) {
            int m = partition(idx, lo, hi, scores);
            double massBefore = above;
            for (int i = lo; i < m; i++) massBefore += prob.probability(idx[i]);
            if (m == 0 || (float) (1.0 - massBefore) > threshold) {
                above = massBefore + prob.probability(idx[m]);
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        insertionSort(idx, lo, hi, scores);
        for (int r = lo; r < hi; r++) {
            if (r > 0 && (float) (1.0 - above) <= threshold) return r;
            above += prob.probability(idx[r]);
        }
        return hi;
    }

    /** Partitions idx[lo, hi) around a median-of-three pivot: ranked before it, then it (returned index), then after. */
    private static int partition(int[] idx, int lo, int hi, float[] scores) {
        int mid = (lo + hi) >>> 1, last = hi - 1;
        if (before(idx[mid], idx[lo], scores)) swap(idx, mid, lo);
        if (before(idx[last], idx[lo], scores)) swap(idx, last, lo);
        if (before(idx[last], idx[mid], scores)) swap(idx, last, mid);
        swap(idx, mid, last);  // the median goes to the end
        int pivot = idx[last];
        int store = lo;
        for (int i = lo; i < last; i++) {
            if (before(idx[i], pivot, scores)) swap(idx, i, store++);
        }
        swap(idx, store, last);
        return store;
    }

    private static void insertionSort(int[] idx, int lo, int hi, float[] scores) {
        for (int i = lo + 1; i < hi; i++) {
            int v = idx[i];
            int j = i - 1;
            while (j >= lo && before(v, idx[j], scores)) {
                idx[j + 1] = idx[j];
                j--;
            }
            idx[j + 1] = v;
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /**
     * transformers' MinPLogitsWarper: drop tokens whose probability is below {@code minP} times the largest
     * probability (the top token always stays).
     */
    public static void minP(float[] scores, double minP) {
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("minP must be in [0, 1], found " + minP);
        Softmax sm = Softmax.of(scores);
        if (sm.finiteCount() <= 1) return;
        double cutoff = minP * sm.probability(sm.argmax());
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != Float.NEGATIVE_INFINITY && sm.probability(i) < cutoff && i != sm.argmax()) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static int checkId(int id, int vocab) {
        if (id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab + " scores");
        return id;
    }

    /** The k-th largest value (1-based) via a size-k min-heap of values. */
    static float kthLargest(float[] scores, int k) {
        float[] heap = new float[k];
        int size = 0;
        for (float v : scores) {
            if (size < k) {
                heap[size] = v;
                siftUpMin(heap, size++);
            } else if (v > heap[0]) {
                heap[0] = v;
                siftDownMin(heap, k, 0);
            }
        }
        return heap[0];
    }

    private static void siftUpMin(float[] h, int i) {
        float v = h[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= v) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = v;
    }

    private static void siftDownMin(float[] h, int size, int i) {
        float v = h[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && h[child + 1] < h[child]) child++;
            if (h[child] >= v) break;
            h[i] = h[child];
            i = child;
        }
        h[i] = v;
    }

    /** The ranking order: higher score first, the lower index first among equal scores. */
    private static boolean before(int a, int b, float[] scores) {
        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    }

    private static int[] finiteIndices(float[] scores, int count) {
        int[] out = new int[count];
        int n = 0;
        for (int i = 0; i < scores.length; i++) if (scores[i] != Float.NEGATIVE_INFINITY) out[n++] = i;
        return out;
    }

    private static void keepOnly(float[] scores, int[] kept, int keptCount) {
        float[] values = new float[keptCount];
        for (int i = 0; i < keptCount; i++) values[i] = scores[kept[i]];
        Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < keptCount; i++) scores[kept[i]] = values[i];
    }
}
