package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written split gives the same pieces as the regex run by java.util.regex. */
class Qwen2PreTokenizerTest {
    private static final Pattern REGEX = Pattern.compile(TokenizerFiles.QWEN2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

    @Test
    void agreesWithTheRegexOnRandomText() {
        Random random = new Random(42);
        for (int i = 0; i < 3000; i++) {
            String text = randomText(random, 1 + random.nextInt(40));
            assertEquals(regexPieces(text), pieces(text), () -> "text: " + TokenizerGoldenTest.escape(text));
        }
    }

    @Test
    void agreesWithTheRegexOnEveryBmpCodePointInContext() {
        StringBuilder b = new StringBuilder();
        for (int cp = 0; cp < 0x30000; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            b.appendCodePoint(cp).append(cp % 3 == 0 ? " x" : cp % 3 == 1 ? "1 " : "");
        }
        String text = b.toString();
        assertEquals(regexPieces(text), pieces(text));
    }

    private static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        for (int pos = 0; pos < text.length(); ) {
            int end = Qwen2PreTokenizer.pieceEnd(text, pos);
            out.add(text.substring(pos, end));
            pos = end;
        }
        return out;
    }

    private static List<String> regexPieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = REGEX.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() != last) out.add(text.substring(last, m.start())); // a gap would be a piece too
            out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }

    private static String randomText(Random random, int length) {
        String[] alphabet = {"a", "Z", "s", "S", "t", "T", "r", "e", "v", "m", "l", "L", "d", "D", "ſ", "'", " ", "\t", "\n",
                "\r", "\u00A0", "\u2003", "\u3000", "\u0085", "\u000B", "0", "7", "½", "Ⅻ", ".", "!", "\"", "-", "中", "😀",
                "\u0301", "ǅ", "ʰ"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) b.append(alphabet[random.nextInt(alphabet.length)]);
        return b.toString();
    }
}
