package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Streaming decoding equals full decoding and never cuts a character in half. */
class StreamDecoderTest {
    private final Tokenizer tok = TokenizerFixtures.tokenizer();

    @Test
    void streamingEveryReferenceCaseEqualsFullDecode() {
        for (String file : List.of("tokenizer_cases.json", "tokenizer_cases_llamacpp.json")) {
            for (TokenizerFixtures.Case c : TokenizerFixtures.cases(file)) {
                for (boolean skip : new boolean[] {false, true}) {
                    List<String> chunks = stream(c.ids(), skip);
                    String full = tok.decode(c.ids(), skip);
                    assertEquals(full, String.join("", chunks), () -> "case " + c);
                    if (full.indexOf(Utf8.REPLACEMENT) < 0) {
                        for (String chunk : chunks) assertFalse(chunk.indexOf(Utf8.REPLACEMENT) >= 0, () -> "U+FFFD streamed for " + c);
                    }
                }
            }
        }
    }

    @Test
    void emojiAndCjkSplitAcrossTokensAreHeldBackUntilComplete() {
        int splitTexts = 0;
        for (String text : List.of("👍🏽 ok", "🧑‍🚀", "鍖栧", "𠜎𠜱𠝹 and 饕餮", "Zoë 👩‍👩‍👧", "🦩🪿🫎")) {
            int[] ids = tok.encode(text);
            List<String> chunks = stream(ids, false);
            assertEquals(text, String.join("", chunks));
            boolean heldBack = false;
            for (int i = 0; i < chunks.size(); i++) {
                String chunk = chunks.get(i);
                assertFalse(chunk.indexOf(Utf8.REPLACEMENT) >= 0, "U+FFFD streamed for " + text);
                if (!chunk.isEmpty()) assertFalse(Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)), text);
                if (i < ids.length && chunk.isEmpty()) heldBack = true;
            }
            if (someTokenEndsInsideACharacter(ids)) {
                splitTexts++;
                assertTrue(heldBack, () -> "expected a token of " + text + " to be held back");
            }
        }
        assertTrue(splitTexts >= 2, "the test texts should include characters split across tokens");
    }

    /** Whether decoding some prefix of the ids alone would end in a broken character. */
    private boolean someTokenEndsInsideACharacter(int[] ids) {
        for (int i = 1; i < ids.length; i++) {
            String prefix = tok.decode(java.util.Arrays.copyOf(ids, i), false);
            if (prefix.endsWith("\uFFFD")) return true;
        }
        return false;
    }

    @Test
    void skipSpecialDropsSpecialTokensWhileStreaming() {
        int[] ids = tok.encode("<|im_start|>user\n你好<|im_end|>");
        assertEquals("user\n你好", String.join("", stream(ids, true)));
        assertEquals("<|im_start|>user\n你好<|im_end|>", String.join("", stream(ids, false)));
    }

    @Test
    void invalidBytesBecomeReplacementOnceAndUnfinishedTailOnFlush() {
        int continuation = tok.tokenId(String.valueOf(ByteLevel.charOf(0x80))).orElseThrow();
        int lead = tok.tokenId(String.valueOf(ByteLevel.charOf(0xE4))).orElseThrow();
        StreamDecoder d = tok.streamDecoder(false);
        assertEquals("\uFFFD", d.accept(continuation));
        assertEquals("", d.accept(lead));
        assertEquals("\uFFFD", d.flush());
        assertEquals("\uFFFD\uFFFD", tok.decode(new int[] {continuation, lead}, false));
    }

    @Test
    void unknownIdIsRejectedNamingTheId() {
        var e = assertThrows(IllegalArgumentException.class, () -> tok.streamDecoder(false).accept(tok.vocabSize()));
        assertTrue(e.getMessage().contains(String.valueOf(tok.vocabSize())), e.getMessage());
    }

    private List<String> stream(int[] ids, boolean skipSpecial) {
        StreamDecoder d = tok.streamDecoder(skipSpecial);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(d.accept(id));
        chunks.add(d.flush());
        return chunks;
    }
}
