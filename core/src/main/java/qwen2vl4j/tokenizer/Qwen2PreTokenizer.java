package qwen2vl4j.tokenizer;

/**
 * The Qwen2 split, written out by hand. It gives exactly the successive matches of
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * with {@code \s} = Unicode White_Space, {@code \p{L}} letters and {@code \p{N}} numbers.
 * Every character is covered by some alternative, so the pieces tile the text.
 */
final class Qwen2PreTokenizer {
    private static final byte OTHER = 0;
    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte SPACE = 3;
    private static final byte[] ASCII_CLASS = buildAsciiClasses();

    private Qwen2PreTokenizer() {}

    /** The end (exclusive char index) of the piece that starts at {@code start} in {@code s}. */
    static int pieceEnd(CharSequence s, int start) {
        int n = s.length();
        int c = Character.codePointAt(s, start);
        int afterC = start + Character.charCount(c);
        int cls = classOf(c);

        int contraction = contractionEnd(s, start, c);
        if (contraction > 0) return contraction;

        if (cls == LETTER) return runEnd(s, afterC, LETTER);
        boolean hasNext = afterC < n;
        int next = hasNext ? Character.codePointAt(s, afterC) : -1;
        int nextCls = hasNext ? classOf(next) : -1;
        if (c != '\r' && c != '\n' && cls != NUMBER && nextCls == LETTER) {
            return runEnd(s, afterC, LETTER);
        }
        if (cls == NUMBER) return afterC;
        if (c == ' ' && nextCls == OTHER) {
            return lineBreaksEnd(s, runEnd(s, afterC, OTHER));
        }
        if (cls == OTHER) return lineBreaksEnd(s, runEnd(s, afterC, OTHER));
        return whitespaceEnd(s, start);
    }

    /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)}: the end of the contraction at start, or -1. */
    private static int contractionEnd(CharSequence s, int start, int c) {
        if (c != '\'' || start + 1 >= s.length()) return -1;
        char a = s.charAt(start + 1);
        switch (Character.toLowerCase(a)) {
            case 's', 't', 'm', 'd', '\u017F' -> {
                // U+017F (long s) case-folds to 's'; the Kelvin sign etc. fold to letters not used here
                return start + 2;
            }
            case 'r', 'v' -> {
                return nextIs(s, start + 2, 'e') ? start + 3 : -1;
            }
            case 'l' -> {
                return nextIs(s, start + 2, 'l') ? start + 3 : -1;
            }
            default -> {
                return -1;
            }
        }
    }

    private static boolean nextIs(CharSequence s, int i, char lower) {
        return i < s.length() && Character.toLowerCase(s.charAt(i)) == lower;
    }

    /** Whitespace at start: {@code \s*[\r\n]+}, else {@code \s+(?!\S)}, else {@code \s+}. */
    private static int whitespaceEnd(CharSequence s, int start) {
        int n = s.length();
        int lastBreak = -1;
        int i = start;
        int count = 0;
        int lastStart = start;
        while (i < n) {
            int c = Character.codePointAt(s, i);
            if (classOf(c) != SPACE) break;
            if (c == '\r' || c == '\n') lastBreak = i;
            lastStart = i;
            i += Character.charCount(c);
            count++;
        }
        if (lastBreak >= 0) return lastBreak + 1;
        if (i == n || count == 1) return i;
        return lastStart;
    }

    /** Extends {@code [\r\n]*} from i. */
    private static int lineBreaksEnd(CharSequence s, int i) {
        int n = s.length();
        while (i < n && (s.charAt(i) == '\r' || s.charAt(i) == '\n')) i++;
        return i;
    }

    /** The end of the run of code points of class {@code cls} starting at i. */
    private static int runEnd(CharSequence s, int i, int cls) {
        int n = s.length();
        while (i < n) {
            char ch = s.charAt(i);
            if (ch < 128) {
                if (ASCII_CLASS[ch] != cls) return i;
                i++;
            } else {
                int c = Character.codePointAt(s, i);
                if (classOf(c) != cls) return i;
                i += Character.charCount(c);
            }
        }
        return i;
    }

    static int classOf(int c) {
        if (c < 128) return ASCII_CLASS[c];
        if (isWhiteSpace(c)) return SPACE;
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    /** The Unicode White_Space property (what {@code \s} means in the reference regex engine). */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    private static byte[] buildAsciiClasses() {
        byte[] table = new byte[128];
        for (int c = 0; c < 128; c++) {
            if (Character.isLetter(c)) table[c] = LETTER;
            else if (Character.isDigit(c)) table[c] = NUMBER;
            else if (isWhiteSpace(c)) table[c] = SPACE;
            else table[c] = OTHER;
        }
        return table;
    }
}
