package qwen2vl4j.tokenizer;

/**
 * A bounded cache from a pre-tokenised piece to its token ids, looked up by a range of the text
 * without copying it. It is a two-way set-associative table of immutable entries: a new piece
 * evicts the older entry of its set, so memory stays bounded by the table size.
 *
 * <p>Thread-safe without locks: slots hold immutable objects (final fields), so a reader sees
 * either no entry or a complete one; concurrent writers may overwrite each other, which only
 * costs a later miss. Stored arrays are never modified.
 */
final class PieceCache {
    /** Pieces longer than this (in chars) are not cached. */
    static final int MAX_PIECE_LENGTH = 64;

    private record Entry(String piece, int hash, int[] ids) {}

    private final Entry[] slots;
    private final int mask;

    /** A cache of {@code capacity} entries (rounded up to a power of two, at least 2). */
    PieceCache(int capacity) {
        int size = Math.max(2, Integer.highestOneBit(Math.max(1, capacity - 1)) << 1);
        this.slots = new Entry[size];
        this.mask = size - 1;
    }

    /** The cached ids of {@code text[start..end)}, or null; the array must not be modified. */
    int[] get(String text, int start, int end) {
        int hash = hash(text, start, end);
        int slot = spread(hash) & mask;
        Entry e = slots[slot];
        if (e != null && matches(e, hash, text, start, end)) return e.ids();
        e = slots[slot ^ 1];
        if (e != null && matches(e, hash, text, start, end)) return e.ids();
        return null;
    }

    /** Remembers the ids of {@code text[start..end)} (the array must not be modified afterwards). */
    void put(String text, int start, int end, int[] ids) {
        if (end - start > MAX_PIECE_LENGTH) return;
        int hash = hash(text, start, end);
        int slot = spread(hash) & mask;
        Entry previous = slots[slot];
        if (previous != null) slots[slot ^ 1] = previous; // the older entry of the set is dropped
        slots[slot] = new Entry(text.substring(start, end), hash, ids);
    }

    private static boolean matches(Entry e, int hash, String text, int start, int end) {
        int length = end - start;
        return e.hash() == hash && e.piece().length() == length && e.piece().regionMatches(0, text, start, length);
    }

    private static int hash(String text, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + text.charAt(i);
        return h;
    }

    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
