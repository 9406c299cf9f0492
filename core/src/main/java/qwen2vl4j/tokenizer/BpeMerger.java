package qwen2vl4j.tokenizer;

import java.util.Arrays;

/**
 * Applies BPE merges to a sequence of token ids: repeatedly merges the adjacent pair with the
 * lowest rank, the leftmost one on ties, until no adjacent pair is a merge. Short sequences use a
 * linear scan over cached pair ranks; long ones a heap over a linked list, so the cost stays
 * O(n log n) on pathological pieces (a megabyte of one letter). Both give the same result.
 */
final class BpeMerger {
    /** Pieces longer than this use the heap strategy. */
    static final int SCAN_LIMIT = 48;

    private BpeMerger() {}

    /**
     * Merges {@code symbols[0..length)} in place.
     *
     * @return the new length
     */
    static int merge(MergeTable merges, int[] symbols, int length) {
        if (length < 2) return length;
        return length <= SCAN_LIMIT ? mergeByScan(merges, symbols, length) : mergeByHeap(merges, symbols, length);
    }

    /** O(n^2) worst case, but no allocation beyond one small array and very fast for short pieces. */
    static int mergeByScan(MergeTable merges, int[] symbols, int length) {
        long[] pairs = new long[length - 1];
        for (int i = 0; i < length - 1; i++) pairs[i] = merges.lookup(symbols[i], symbols[i + 1]);
        int n = length;
        while (n > 1) {
            int best = -1;
            long bestRank = Long.MAX_VALUE;
            for (int i = 0; i < n - 1; i++) {
                long p = pairs[i];
                if (p != MergeTable.NONE && MergeTable.rank(p) < bestRank) {
                    bestRank = MergeTable.rank(p);
                    best = i;
                }
            }
            if (best < 0) break;
            symbols[best] = MergeTable.mergedId(pairs[best]);
            System.arraycopy(symbols, best + 2, symbols, best + 1, n - best - 2);
            System.arraycopy(pairs, best + 1, pairs, best, n - best - 2);
            n--;
            if (best > 0) pairs[best - 1] = merges.lookup(symbols[best - 1], symbols[best]);
            if (best < n - 1) pairs[best] = merges.lookup(symbols[best], symbols[best + 1]);
        }
        return n;
    }

    /** O(n log n): a min-heap of (rank, position) entries over a doubly linked list of symbols. */
    static int mergeByHeap(MergeTable merges, int[] symbols, int length) {
        int[] prev = new int[length];
        int[] next = new int[length];
        for (int i = 0; i < length; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < length ? i + 1 : -1;
        }
        boolean[] removed = new boolean[length];
        LongHeap heap = new LongHeap(length);
        for (int i = 0; i < length - 1; i++) push(heap, merges.lookup(symbols[i], symbols[i + 1]), i);
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (removed[pos] || right < 0) continue;
            long entry = merges.lookup(symbols[pos], symbols[right]);
            if (entry == MergeTable.NONE || MergeTable.rank(entry) != rank) continue; // stale
            symbols[pos] = MergeTable.mergedId(entry);
            removed[right] = true;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            if (prev[pos] >= 0) push(heap, merges.lookup(symbols[prev[pos]], symbols[pos]), prev[pos]);
            if (after >= 0) push(heap, merges.lookup(symbols[pos], symbols[after]), pos);
        }
        int n = 0;
        for (int i = 0; i >= 0; i = next[i]) symbols[n++] = symbols[i];
        return n;
    }

    private static void push(LongHeap heap, long entry, int pos) {
        if (entry != MergeTable.NONE) heap.add(((long) MergeTable.rank(entry) << 32) | pos);
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] items;
        private int size;

        LongHeap(int capacity) {
            items = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long v) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= v) break;
                items[i] = items[parent];
                i = parent;
            }
            items[i] = v;
        }

        long poll() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && items[child + 1] < items[child]) child++;
                if (last <= items[child]) break;
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
