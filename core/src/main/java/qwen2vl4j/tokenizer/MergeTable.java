package qwen2vl4j.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge rules as an open-addressing hash table from a pair of token ids to its rank (the
 * merge's line index; lower merges first) and the id of the merged token. Immutable once built.
 */
final class MergeTable {
    /** Returned by {@link #lookup} for a pair that is not a merge. */
    static final long NONE = -1L;

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private final int size;

    private MergeTable(long[] keys, long[] values, int size) {
        this.keys = keys;
        this.values = values;
        this.mask = keys.length - 1;
        this.size = size;
    }

    /** The number of merges. */
    int size() {
        return size;
    }

    /**
     * Looks up the pair (left, right).
     *
     * @return {@code rank << 32 | mergedId}, or {@link #NONE}
     */
    long lookup(int left, int right) {
        long key = pairKey(left, right);
        int slot = slotOf(key, mask);
        while (true) {
            long k = keys[slot];
            if (k == key) return values[slot];
            if (k == EMPTY) return NONE;
            slot = (slot + 1) & mask;
        }
    }

    static int rank(long entry) {
        return (int) (entry >>> 32);
    }

    static int mergedId(long entry) {
        return (int) entry;
    }

    private static final long EMPTY = -1L;

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slotOf(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Collects merges in rank order; the first occurrence of a pair keeps its rank. */
    static final class Builder {
        private long[] pairs = new long[1024];
        private int[] mergedIds = new int[1024];
        private int count;

        /** Adds the next merge (rank = number of merges added before). */
        void add(int left, int right, int merged) {
            if (count == pairs.length) {
                pairs = Arrays.copyOf(pairs, count * 2);
                mergedIds = Arrays.copyOf(mergedIds, count * 2);
            }
            pairs[count] = pairKey(left, right);
            mergedIds[count] = merged;
            count++;
        }

        MergeTable build() {
            int capacity = Integer.highestOneBit(Math.max(16, count * 3)) << 1;
            long[] keys = new long[capacity];
            long[] values = new long[capacity];
            Arrays.fill(keys, EMPTY);
            int mask = capacity - 1;
            int size = 0;
            for (int rank = 0; rank < count; rank++) {
                long key = pairs[rank];
                int slot = slotOf(key, mask);
                while (keys[slot] != EMPTY && keys[slot] != key) slot = (slot + 1) & mask;
                if (keys[slot] == key) continue;
                keys[slot] = key;
                values[slot] = ((long) rank << 32) | (mergedIds[rank] & 0xFFFFFFFFL);
                size++;
            }
            return new MergeTable(keys, values, size);
        }
    }
}
