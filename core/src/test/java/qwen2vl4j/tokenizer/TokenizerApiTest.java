package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Lookups, special tokens, cache transparency and thread safety. */
class TokenizerApiTest {
    private final Tokenizer tok = TokenizerFixtures.tokenizer();

    @Test
    void lookupsAgreeWithTheFilesAddedTokens() throws IOException {
        JsonNode root = new ObjectMapper().readTree(TokenizerFixtures.modelDir().resolve("tokenizer.json").toFile());
        int maxId = 0;
        for (JsonNode t : root.get("added_tokens")) {
            int id = t.get("id").asInt();
            maxId = Math.max(maxId, id);
            assertEquals(id, tok.tokenId(t.get("content").asText()).orElseThrow());
            assertEquals(t.get("content").asText(), tok.token(id));
            assertEquals(t.get("special").asBoolean(), tok.isSpecial(id));
            assertArrayEquals(new int[] {id}, tok.encode(t.get("content").asText()));
        }
        for (var it = root.get("model").get("vocab").fields(); it.hasNext(); ) {
            maxId = Math.max(maxId, it.next().getValue().asInt());
        }
        assertEquals(maxId + 1, tok.vocabSize());
    }

    @Test
    void vocabularyTokensAreNotSpecial() {
        int world = tok.tokenId("Ġworld").orElseThrow();
        assertEquals("Ġworld", tok.token(world));
        assertFalse(tok.isSpecial(world));
        assertTrue(tok.tokenId("no such token ever").isEmpty());
        assertNull(tok.token(-1));
        assertNull(tok.token(tok.vocabSize()));
        assertFalse(tok.isSpecial(-1));
    }

    @Test
    void cacheDoesNotChangeResults() {
        Tokenizer uncached = tok.withoutPieceCache();
        String text = randomText(new Random(7), 20_000);
        assertArrayEquals(uncached.encode(text), tok.encode(text));
        assertArrayEquals(uncached.encode(text), tok.encode(text)); // second time from the cache
    }

    @Test
    void longPiecesRoundTrip() {
        String text = "a".repeat(5000) + " " + "ab".repeat(3000) + " " + "！".repeat(2000) + " " + " ".repeat(4000) + "x";
        int[] ids = tok.encode(text);
        assertEquals(text, tok.decode(ids, false));
        assertArrayEquals(ids, tok.withoutPieceCache().encode(text));
    }

    @Test
    void concurrentEncodingGivesTheSameIds() throws Exception {
        List<String> texts = new ArrayList<>();
        Random random = new Random(11);
        for (int i = 0; i < 32; i++) texts.add(randomText(random, 3000));
        List<int[]> expected = texts.stream().map(tok.withoutPieceCache()::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (String t : texts) results.add(pool.submit(() -> tok.encode(t)));
            }
            for (int i = 0; i < results.size(); i++) assertArrayEquals(expected.get(i % texts.size()), results.get(i).get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Random text over a mixed alphabet: words, digits, punctuation, whitespace, CJK, emoji, marks. */
    static String randomText(Random random, int codePoints) {
        String[] alphabet = {"a", "b", "e", "s", "t", "'", "’", " ", " ", "  ", "\n", "\r\n", "\t", "\u00A0", "\u3000",
                "1", "٣", "²", ".", ",", "!", "(", "-", "_", "中", "文", "字", "😀", "👍🏽", "é", "e\u0301", "ß", "Ω",
                "ſ", "<|im", "_end|>", "<|im_end|>", "The", "Don'T", "we'LL"};
        StringBuilder b = new StringBuilder();
        while (b.length() < codePoints) b.append(alphabet[random.nextInt(alphabet.length)]);
        return b.toString();
    }
}
