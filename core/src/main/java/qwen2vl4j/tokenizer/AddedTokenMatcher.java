package qwen2vl4j.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost first and, among those starting at the same place, the
 * longest (the reference's leftmost-longest Aho-Corasick semantics). Immutable.
 */
final class AddedTokenMatcher {
    /** Returned by {@link #find} when no token occurs. */
    static final long NO_MATCH = -1L;

    private final BitSet firstChars = new BitSet();
    private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> groups = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            groups.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        }
        groups.forEach((first, list) -> {
            list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
            byFirstChar.put(first, list.toArray(AddedToken[]::new));
            firstChars.set(first);
        });
        empty = groups.isEmpty();
    }

    /**
     * The first added token in {@code text} at or after {@code from}.
     *
     * @return {@code start << 32 | tokenId} (see {@link #start}, {@link #id}), or {@link #NO_MATCH}
     */
    long find(String text, int from) {
        if (empty) return NO_MATCH;
        int n = text.length();
        for (int i = from; i < n; i++) {
            char c = text.charAt(i);
            if (!firstChars.get(c)) continue;
            for (AddedToken t : byFirstChar.get(c)) {
                if (text.startsWith(t.content(), i)) return ((long) i << 32) | (t.id() & 0xFFFFFFFFL);
            }
        }
        return NO_MATCH;
    }

    static int start(long match) {
        return (int) (match >>> 32);
    }

    static int id(long match) {
        return (int) match;
    }
}
