package qwen2vl4j.text;

import qwen2vl4j.kernels.KvRows;

/**
 * A copy of the keys and values a {@link TextSession} cached for its first {@link #rows()} tokens, taken by
 * {@link TextSession#snapshot()} and put back, whole or in part, by {@link TextSession#restore}. Immutable once taken;
 * any number of sessions may restore from it at once.
 */
public final class KvSnapshot {
    private final KvCacheType type;
    private final int rows;
    private final long bytes;
    private final KvRows[] keys;
    private final KvRows[] values;

    KvSnapshot(KvCacheType type, int rows, long bytes, KvRows[] keys, KvRows[] values) {
        this.type = type;
        this.rows = rows;
        this.bytes = bytes;
        this.keys = keys;
        this.values = values;
    }

    /** Tokens it holds. */
    public int rows() {
        return rows;
    }

    /** How its values are stored (the session's cache type). */
    public KvCacheType type() {
        return type;
    }

    /** The memory it holds, in bytes. */
    public long bytes() {
        return bytes;
    }

    int layers() {
        return keys.length;
    }

    KvRows keys(int layer) {
        return keys[layer];
    }

    KvRows values(int layer) {
        return values[layer];
    }
}
