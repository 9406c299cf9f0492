package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The cache returns the ids stored for exactly that piece, or nothing; it stays bounded. */
class PieceCacheTest {
    @Test
    void hitsAreExactAndMissesAreNull() {
        PieceCache cache = new PieceCache(8);
        String text = "xx hello world xx";
        cache.put(text, 3, 8, new int[] {1, 2});
        assertArrayEquals(new int[] {1, 2}, cache.get("hello", 0, 5));
        assertArrayEquals(new int[] {1, 2}, cache.get(text, 3, 8));
        assertNull(cache.get(text, 3, 7));
        assertNull(cache.get("world", 0, 5));
    }

    @Test
    void manyPiecesNeverReturnAnotherPiecesIds() {
        PieceCache cache = new PieceCache(64);
        int hits = 0;
        for (int i = 0; i < 10_000; i++) {
            String piece = "p" + i;
            cache.put(piece, 0, piece.length(), new int[] {i});
        }
        for (int i = 0; i < 10_000; i++) {
            String piece = "p" + i;
            int[] ids = cache.get(piece, 0, piece.length());
            if (ids != null) {
                assertArrayEquals(new int[] {i}, ids, piece);
                hits++;
            }
        }
        assertTrue(hits > 0 && hits <= 64, "a 64-entry cache holds at most 64 pieces, found " + hits);
    }

    @Test
    void longPiecesAreNotCached() {
        PieceCache cache = new PieceCache(8);
        String piece = "a".repeat(PieceCache.MAX_PIECE_LENGTH + 1);
        cache.put(piece, 0, piece.length(), new int[] {1});
        assertNull(cache.get(piece, 0, piece.length()));
    }
}
