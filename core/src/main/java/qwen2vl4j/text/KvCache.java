package qwen2vl4j.text;

import qwen2vl4j.kernels.KvRows;

/**
 * Keys (after rotary) and values of every layer for the tokens a {@link TextSession} has seen, stored as
 * its {@link KvCacheType}. Layout per layer: {@code [capacity, kvDim]} row-major. Grows by doubling, never
 * beyond the context limit.
 */
final class KvCache {
    private static final int INITIAL_CAPACITY = 64;

    private final KvCacheType type;
    private final int maxLength;
    private final KvRows[] keys;
    private final KvRows[] values;
    private int capacity;

    KvCache(int layers, int kvDim, int maxLength, KvCacheType type) {
        this.type = type;
        this.maxLength = maxLength;
        this.keys = new KvRows[layers];
        this.values = new KvRows[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = new KvRows(type.precision(), kvDim);
            values[l] = new KvRows(type.precision(), kvDim);
        }
    }

    /** Makes room for {@code tokens} positions, keeping what is cached. */
    void ensureCapacity(int tokens) {
        if (tokens <= capacity) return;
        long grown = Math.max(INITIAL_CAPACITY, capacity);
        while (grown < tokens) grown *= 2;
        int newCapacity = (int) Math.min(grown, Math.max(tokens, maxLength));
        for (int l = 0; l < keys.length; l++) {
            keys[l].ensureCapacity(newCapacity);
            values[l].ensureCapacity(newCapacity);
        }
        capacity = newCapacity;
    }

    /** Bytes one cached token takes over all layers, keys and values. */
    long bytesPerToken() {
        long total = 0;
        for (int l = 0; l < keys.length; l++) total += keys[l].bytesPerRow() + values[l].bytesPerRow();
        return total;
    }

    /** A copy of the first {@code rows} rows of every layer. */
    KvSnapshot snapshot(int rows) {
        KvRows[] k = new KvRows[keys.length], v = new KvRows[values.length];
        for (int l = 0; l < keys.length; l++) {
            k[l] = keys[l].copy(rows);
            v[l] = values[l].copy(rows);
        }
        return new KvSnapshot(type, rows, rows * bytesPerToken(), k, v);
    }

    /** Overwrites the first {@code rows} rows of every layer with {@code snapshot}'s. */
    void restore(KvSnapshot snapshot, int rows) {
        if (snapshot.type() != type || snapshot.layers() != keys.length) {
            throw new IllegalArgumentException("a " + snapshot.type() + " snapshot of " + snapshot.layers()
                    + " layers cannot fill a " + type + " cache of " + keys.length);
        }
        ensureCapacity(rows);
        for (int l = 0; l < keys.length; l++) {
            keys[l].copyFrom(snapshot.keys(l), rows);
            values[l].copyFrom(snapshot.values(l), rows);
        }
    }

    int capacity() {
        return capacity;
    }

    KvCacheType type() {
        return type;
    }

    KvRows keys(int layer) {
        return keys[layer];
    }

    KvRows values(int layer) {
        return values[layer];
    }
}
