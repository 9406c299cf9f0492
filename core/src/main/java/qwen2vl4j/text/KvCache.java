package qwen2vl4j.text;

import java.util.Arrays;

/**
 * Keys (after rotary) and values of every layer for the tokens a {@link TextSession} has seen.
 * Layout per layer: {@code [capacity, kvDim]} row-major. Grows by doubling, never beyond the context limit.
 */
final class KvCache {
    private static final int INITIAL_CAPACITY = 64;

    private final int kvDim;
    private final int maxLength;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;

    KvCache(int layers, int kvDim, int maxLength) {
        this.kvDim = kvDim;
        this.maxLength = maxLength;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    /** Makes room for {@code tokens} positions, keeping what is cached. */
    void ensureCapacity(int tokens) {
        if (tokens <= capacity) return;
        long grown = Math.max(INITIAL_CAPACITY, capacity);
        while (grown < tokens) grown *= 2;
        int newCapacity = (int) Math.min(grown, Math.max(tokens, maxLength));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], Math.multiplyExact(newCapacity, kvDim));
            values[l] = Arrays.copyOf(values[l], Math.multiplyExact(newCapacity, kvDim));
        }
        capacity = newCapacity;
    }

    int capacity() {
        return capacity;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }
}
