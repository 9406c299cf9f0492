package qwen2vl4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The GPT-2 byte-to-unicode table used by byte-level BPE: every byte value gets a printable
 * character so that any UTF-8 byte string can be spelled with vocabulary symbols.
 * Bytes {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} map to themselves; the other 68 bytes map,
 * in increasing byte order, to U+0100, U+0101, ... (space is {@code Ġ}, newline {@code Ċ}).
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = buildByteToChar();
    /** Inverse table indexed by character (all mapped characters are below U+0144); -1 where unmapped. */
    private static final int[] CHAR_TO_BYTE = buildCharToByte();

    private ByteLevel() {}

    /** The character that spells byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1 if the character is not in the table. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * The bytes a vocabulary token stands for: the inverse table applied to each character, or,
     * when some character is outside the table (as in an added token such as {@code <|im_end|>}
     * written with non-table characters), the token's own UTF-8 bytes, as the reference decoder does.
     */
    static byte[] tokenBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) return token.getBytes(StandardCharsets.UTF_8);
            out[i] = (byte) b;
        }
        return out;
    }

    private static char[] buildByteToChar() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) next++;
        }
        return table;
    }

    private static int[] buildCharToByte() {
        int[] inverse = new int[256 + 68];
        java.util.Arrays.fill(inverse, -1);
        for (int b = 0; b < 256; b++) inverse[BYTE_TO_CHAR[b]] = b;
        return inverse;
    }
}
