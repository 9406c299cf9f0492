package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scan and heap merge strategies give the same tokens, with the real merge table. */
class BpeMergerTest {
    @Test
    void scanAndHeapAgree() {
        Tokenizer tok = TokenizerFixtures.tokenizer();
        MergeTable merges = tok.merges();
        Random random = new Random(3);
        String[] parts = {"a", "b", "in", "the", "ing", " ", "Ġ", "中", "é", "😀", "0", "\n", "ab", "aa", "er"};
        for (int i = 0; i < 2000; i++) {
            StringBuilder b = new StringBuilder();
            int n = 1 + random.nextInt(30);
            for (int k = 0; k < n; k++) b.append(parts[random.nextInt(parts.length)]);
            byte[] utf8 = b.toString().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[utf8.length];
            for (int k = 0; k < utf8.length; k++) symbols[k] = tok.tokenId(String.valueOf(ByteLevel.charOf(utf8[k] & 0xFF))).orElseThrow();
            int[] scan = symbols.clone();
            int[] heap = symbols.clone();
            int ns = BpeMerger.mergeByScan(merges, scan, scan.length);
            int nh = BpeMerger.mergeByHeap(merges, heap, heap.length);
            assertArrayEquals(Arrays.copyOf(scan, ns), Arrays.copyOf(heap, nh), b.toString());
        }
    }
}
