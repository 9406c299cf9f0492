package qwen2vl4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import qwen2vl4j.io.ModelLoadException;

/**
 * The Qwen2 byte-level BPE tokenizer (the one of Qwen2, Qwen2.5 and Qwen2-VL).
 *
 * <p>Encoding: added tokens ({@code <|im_start|>}, ...) are split out of the raw text first
 * (leftmost, then longest) and become their ids directly; the text between them is NFC-normalised,
 * split with the Qwen2 pre-tokeniser regex, each piece's UTF-8 bytes are spelled with the GPT-2
 * byte-to-unicode table and merged by BPE rank. Nothing is prepended or appended.
 *
 * <p>Decoding concatenates the bytes of the tokens (added tokens as their text) and decodes them
 * as UTF-8, with U+FFFD for ill-formed sequences.
 *
 * <p>Instances are immutable and thread-safe; repeated pieces are cached in a bounded,
 * thread-safe cache.
 */
public final class Tokenizer {
    /** Pieces the cache holds before it is emptied and refilled. */
    private static final int CACHE_CAPACITY = 1 << 16;

    private final Map<String, Integer> tokenToId;
    private final String[] idToToken;
    private final byte[][] idToBytes;
    private final boolean[] special;
    private final int[] byteIds;
    private final MergeTable merges;
    private final AddedTokenMatcher rawAddedTokens;
    private final AddedTokenMatcher normalizedAddedTokens;
    private final PieceCache cache;

    private Tokenizer(Map<String, Integer> tokenToId, String[] idToToken, byte[][] idToBytes, boolean[] special,
                      int[] byteIds, MergeTable merges, AddedTokenMatcher rawAddedTokens,
                      AddedTokenMatcher normalizedAddedTokens, PieceCache cache) {
        this.tokenToId = tokenToId;
        this.idToToken = idToToken;
        this.idToBytes = idToBytes;
        this.special = special;
        this.byteIds = byteIds;
        this.merges = merges;
        this.rawAddedTokens = rawAddedTokens;
        this.normalizedAddedTokens = normalizedAddedTokens;
        this.cache = cache;
    }

    /**
     * Loads the tokenizer of a model folder: {@code tokenizer.json}, or else {@code vocab.json} +
     * {@code merges.txt} with the added tokens of {@code tokenizer_config.json}.
     *
     * @throws ModelLoadException naming the file when the files are missing or malformed
     */
    public static Tokenizer load(Path modelDir) {
        Objects.requireNonNull(modelDir, "modelDir");
        if (!java.nio.file.Files.isDirectory(modelDir)) {
            throw new ModelLoadException("tokenizer folder " + modelDir + " does not exist or is not a folder");
        }
        TokenizerFiles.Contents contents = TokenizerFiles.read(modelDir);
        return build(contents, modelDir);
    }

    private static Tokenizer build(TokenizerFiles.Contents contents, Path modelDir) {
        int maxId = -1;
        for (int id : contents.vocab().values()) maxId = Math.max(maxId, id);
        for (AddedToken t : contents.addedTokens()) maxId = Math.max(maxId, t.id());
        String[] idToToken = new String[maxId + 1];
        Map<String, Integer> tokenToId = new HashMap<>(contents.vocab());
        contents.vocab().forEach((token, id) -> idToToken[id] = token);
        boolean[] special = new boolean[maxId + 1];
        List<AddedToken> raw = new ArrayList<>();
        List<AddedToken> normalized = new ArrayList<>();
        for (AddedToken t : contents.addedTokens()) {
            idToToken[t.id()] = t.content();
            tokenToId.put(t.content(), t.id());
            special[t.id()] = t.special();
            (t.normalized() ? normalized : raw).add(t);
        }
        byte[][] idToBytes = new byte[maxId + 1][];
        for (int id = 0; id <= maxId; id++) {
            if (idToToken[id] != null) idToBytes[id] = ByteLevel.tokenBytes(idToToken[id]);
        }
        for (AddedToken t : contents.addedTokens()) idToBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = contents.vocab().get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new ModelLoadException("tokenizer in " + modelDir + ": the vocabulary lacks the byte-level symbol \""
                        + ByteLevel.charOf(b) + "\" for byte " + b + "; not a byte-level BPE vocabulary");
            }
            byteIds[b] = id;
        }
        return new Tokenizer(tokenToId, idToToken, idToBytes, special, byteIds, contents.merges(),
                new AddedTokenMatcher(raw), new AddedTokenMatcher(normalized), new PieceCache(CACHE_CAPACITY));
    }

    /**
     * The same tokenizer without the piece cache: every piece goes through BPE. For benchmarks
     * (the baseline the cache is measured against).
     */
    public Tokenizer withoutPieceCache() {
        return new Tokenizer(tokenToId, idToToken, idToBytes, special, byteIds, merges, rawAddedTokens,
                normalizedAddedTokens, null);
    }

    /** Encodes text to token ids; added/special tokens written in the text become their ids. */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList(Math.max(16, text.length() / 3));
        splitOnAddedTokens(text, rawAddedTokens, out, segment -> encodeNormalizable(segment, out));
        return out.toArray();
    }

    /** Opens a span of {@link #encodeWithLiterals} text read as plain text (a Unicode noncharacter). */
    public static final char LITERAL_OPEN = '\uFDD0';
    /** Closes a span opened by {@link #LITERAL_OPEN}. */
    public static final char LITERAL_CLOSE = '\uFDD1';

    /**
     * {@code text} with every added token written in it (e.g. {@code <|im_start|>}) marked as a literal for
     * {@link #encodeWithLiterals}, which then encodes it as the characters it is made of instead of the control token.
     * The marker characters themselves, should the text hold any, become U+FFFD.
     */
    public String escapeSpecial(String text) {
        Objects.requireNonNull(text, "text");
        String clean = text.indexOf(LITERAL_OPEN) < 0 && text.indexOf(LITERAL_CLOSE) < 0 ? text
                : text.replace(LITERAL_OPEN, '\uFFFD').replace(LITERAL_CLOSE, '\uFFFD');
        StringBuilder sb = null;
        int pos = 0, copied = 0;
        while (pos < clean.length()) {
            long match = rawAddedTokens.find(clean, pos);
            if (match == AddedTokenMatcher.NO_MATCH) break;
            int start = AddedTokenMatcher.start(match), end = start + idToToken[AddedTokenMatcher.id(match)].length();
            if (sb == null) sb = new StringBuilder(clean.length() + 16);
            sb.append(clean, copied, start).append(LITERAL_OPEN).append(clean, start, end).append(LITERAL_CLOSE);
            copied = pos = end;
        }
        return sb == null ? clean : sb.append(clean, copied, clean.length()).toString();
    }

    /**
     * As {@link #encode}, except that text between {@link #LITERAL_OPEN} and {@link #LITERAL_CLOSE} is encoded as plain
     * text (added tokens in it are not recognised); the markers produce no ids. Text without markers encodes exactly
     * as {@link #encode} does.
     */
    public int[] encodeWithLiterals(String text) {
        Objects.requireNonNull(text, "text");
        if (text.indexOf(LITERAL_OPEN) < 0) return encode(text);
        IntList out = new IntList(Math.max(16, text.length() / 3));
        int pos = 0;
        while (pos < text.length()) {
            int open = text.indexOf(LITERAL_OPEN, pos);
            int normalEnd = open < 0 ? text.length() : open;
            if (normalEnd > pos) {
                String normal = text.substring(pos, normalEnd);
                splitOnAddedTokens(normal, rawAddedTokens, out, segment -> encodeNormalizable(segment, out));
            }
            if (open < 0) break;
            int close = text.indexOf(LITERAL_CLOSE, open + 1);
            int literalEnd = close < 0 ? text.length() : close;
            if (literalEnd > open + 1) encodeOrdinary(nfc(text.substring(open + 1, literalEnd)), out);
            pos = close < 0 ? text.length() : close + 1;
        }
        return out.toArray();
    }

    private void encodeNormalizable(String segment, IntList out) {
        splitOnAddedTokens(nfc(segment), normalizedAddedTokens, out, part -> encodeOrdinary(part, out));
    }

    /** Calls {@code ordinary} for the text between added tokens and appends the added tokens' ids. */
    private void splitOnAddedTokens(String text, AddedTokenMatcher matcher, IntList out,
                                    java.util.function.Consumer<String> ordinary) {
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            long match = matcher.find(text, pos);
            int end = match == AddedTokenMatcher.NO_MATCH ? n : AddedTokenMatcher.start(match);
            if (end > pos) ordinary.accept(pos == 0 && end == n ? text : text.substring(pos, end));
            if (match == AddedTokenMatcher.NO_MATCH) return;
            int id = AddedTokenMatcher.id(match);
            out.add(id);
            pos = end + idToToken[id].length();
        }
    }

    /** Pre-tokenises a text free of added tokens and BPE-encodes each piece. */
    private void encodeOrdinary(String text, IntList out) {
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int end = Qwen2PreTokenizer.pieceEnd(text, pos);
            int[] ids = cache == null ? null : cache.get(text, pos, end);
            if (ids == null) {
                ids = encodePiece(text, pos, end);
                if (cache != null) cache.put(text, pos, end, ids);
            }
            out.addAll(ids);
            pos = end;
        }
    }

    /** Byte-level spelling of {@code text[start..end)} (its UTF-8 bytes as symbols) followed by BPE. */
    private int[] encodePiece(String text, int start, int end) {
        int[] symbols = new int[(end - start) * 3];
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                symbols[n++] = byteIds[c];
            } else if (c < 0x800) {
                symbols[n++] = byteIds[0xC0 | (c >> 6)];
                symbols[n++] = byteIds[0x80 | (c & 0x3F)];
            } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(++i));
                symbols[n++] = byteIds[0xF0 | (cp >> 18)];
                symbols[n++] = byteIds[0x80 | ((cp >> 12) & 0x3F)];
                symbols[n++] = byteIds[0x80 | ((cp >> 6) & 0x3F)];
                symbols[n++] = byteIds[0x80 | (cp & 0x3F)];
            } else {
                int cp = Character.isSurrogate(c) ? Utf8.REPLACEMENT : c; // a lone surrogate has no UTF-8 form
                symbols[n++] = byteIds[0xE0 | (cp >> 12)];
                symbols[n++] = byteIds[0x80 | ((cp >> 6) & 0x3F)];
                symbols[n++] = byteIds[0x80 | (cp & 0x3F)];
            }
        }
        int merged = BpeMerger.merge(merges, symbols, n);
        return Arrays.copyOf(symbols, merged);
    }

    private static String nfc(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x300) {
                return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
            }
        }
        return s; // nothing below U+0300 changes under NFC
    }

    /**
     * Decodes token ids to text.
     *
     * @param skipSpecial drop special tokens ({@code <|im_end|>}, ...) instead of writing them
     * @throws IllegalArgumentException naming the id when an id is not a token
     */
    public String decode(int[] ids, boolean skipSpecial) {
        int total = 0;
        for (int id : ids) total += bytesOf(id).length;
        byte[] bytes = new byte[total];
        int n = 0;
        for (int id : ids) {
            if (skipSpecial && special[id]) continue;
            byte[] b = idToBytes[id];
            System.arraycopy(b, 0, bytes, n, b.length);
            n += b.length;
        }
        return Utf8.decode(bytes, n);
    }

    /** A decoder for ids that arrive one at a time; it only ever returns complete characters. */
    public StreamDecoder streamDecoder(boolean skipSpecial) {
        return new StreamDecoder(this, skipSpecial);
    }

    /** The id of a vocabulary or added token (as written in the vocabulary, e.g. {@code Ġworld}). */
    public OptionalInt tokenId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with this id as written in the vocabulary, or null if there is none. */
    /**
     * Decodes model output: ids the tokenizer has no token for (the model's vocabulary is padded past the
     * tokenizer's, 151936 rows for 151657 tokens) decode to nothing, as Hugging Face's tokenizers do,
     * instead of failing as {@link #decode} does.
     */
    public String decodeGenerated(int[] ids, boolean skipSpecial) {
        int n = 0;
        int[] known = new int[ids.length];
        for (int id : ids) if (token(id) != null) known[n++] = id;
        return decode(java.util.Arrays.copyOf(known, n), skipSpecial);
    }

    public String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** Whether the id is a special added token (dropped when decoding with skipSpecial). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The largest token id + 1. */
    public int vocabSize() {
        return idToToken.length;
    }

    /** The merge table (for tests). */
    MergeTable merges() {
        return merges;
    }

    /** The bytes a token stands for. */
    byte[] bytesOf(int id) {
        byte[] b = id >= 0 && id < idToBytes.length ? idToBytes[id] : null;
        if (b == null) {
            throw new IllegalArgumentException("unknown token id " + id + " (vocabulary has ids 0.." + (idToToken.length - 1) + ")");
        }
        return b;
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] items;
        private int size;

        IntList(int capacity) {
            items = new int[capacity];
        }

        void add(int v) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > items.length) items = Arrays.copyOf(items, Math.max(items.length * 2, size + vs.length));
            System.arraycopy(vs, 0, items, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(items, size);
        }
    }
}
