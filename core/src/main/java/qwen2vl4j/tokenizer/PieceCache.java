package qwen2vl4j.tokenizer;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A thread-safe, bounded cache from a pre-tokenised piece to its token ids. When it is full it is
 * emptied and refilled, which keeps memory bounded and adapts to the text being encoded.
 * Stored arrays are never handed out for writing.
 */
final class PieceCache {
    /** Pieces longer than this (in chars) are not cached. */
    static final int MAX_PIECE_LENGTH = 64;

    private final ConcurrentHashMap<String, int[]> map;
    private final int capacity;

    PieceCache(int capacity) {
        this.capacity = capacity;
        this.map = new ConcurrentHashMap<>(Math.min(capacity, 1 << 16));
    }

    /** The cached ids of a piece, or null; the array must not be modified. */
    int[] get(String piece) {
        return map.get(piece);
    }

    /** Remembers the ids of a piece (the array must not be modified afterwards). */
    void put(String piece, int[] ids) {
        if (piece.length() > MAX_PIECE_LENGTH) return;
        if (map.size() >= capacity) map.clear();
        map.put(piece, ids);
    }
}
