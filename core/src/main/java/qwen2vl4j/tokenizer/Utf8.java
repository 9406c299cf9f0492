package qwen2vl4j.tokenizer;

/**
 * UTF-8 decoding with replacement, following the Unicode "maximal subpart" practice (the one
 * Rust's {@code String::from_utf8_lossy} uses): each maximal ill-formed subsequence becomes one
 * U+FFFD. Can also stop before an incomplete sequence at the end, for streaming.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {}

    /** Decodes {@code bytes[0..length)} replacing every ill-formed subsequence with U+FFFD. */
    static String decode(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        decodeInto(bytes, length, false, out);
        return out.toString();
    }

    /**
     * Decodes {@code bytes[0..length)} into {@code out}. With {@code holdIncompleteTail}, a trailing
     * sequence that is a valid but unfinished start of a character is left undecoded.
     *
     * @return the number of bytes consumed ({@code length}, or the start of the held tail)
     */
    static int decodeInto(byte[] bytes, int length, boolean holdIncompleteTail, StringBuilder out) {
        int i = 0;
        while (i < length) {
            int b = bytes[i] & 0xFF;
            if (b < 0x80) {
                out.append((char) b);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            int cp;
            if (b >= 0xC2 && b <= 0xDF) {
                need = 1;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                need = 2;
                cp = b & 0x0F;
                if (b == 0xE0) lo = 0xA0;
                if (b == 0xED) hi = 0x9F;
            } else if (b >= 0xF0 && b <= 0xF4) {
                need = 3;
                cp = b & 0x07;
                if (b == 0xF0) lo = 0x90;
                if (b == 0xF4) hi = 0x8F;
            } else {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= length) {
                    if (holdIncompleteTail) return i;
                    ok = false;
                    break;
                }
                int c = bytes[j] & 0xFF;
                if (c < lo || c > hi) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (c & 0x3F);
                lo = 0x80;
                hi = 0xBF;
            }
            if (ok) {
                out.appendCodePoint(cp);
            } else {
                out.append(REPLACEMENT);
            }
            i = j;
        }
        return length;
    }
}
