package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reference case encodes to the reference ids and decodes to the reference text. */
class TokenizerGoldenTest {
    static Stream<TokenizerFixtures.Case> referenceCases() {
        return TokenizerFixtures.cases("tokenizer_cases.json").stream();
    }

    static Stream<TokenizerFixtures.Case> llamaCppCases() {
        return TokenizerFixtures.cases("tokenizer_cases_llamacpp.json").stream();
    }

    @Test
    void fixtureFilesHoldTheExpectedNumberOfCases() {
        assertEquals(408, referenceCases().count());
        assertFalse(llamaCppCases().findAny().isEmpty());
    }

    @ParameterizedTest
    @MethodSource({"referenceCases", "llamaCppCases"})
    void encodesToReferenceIds(TokenizerFixtures.Case c) {
        assertArrayEquals(c.ids(), TokenizerFixtures.tokenizer().encode(c.text()), () -> "text: " + escape(c.text()));
    }

    @ParameterizedTest
    @MethodSource({"referenceCases", "llamaCppCases"})
    void referenceIdsSpellReferenceTokens(TokenizerFixtures.Case c) {
        Tokenizer tok = TokenizerFixtures.tokenizer();
        List<String> tokens = java.util.Arrays.stream(c.ids()).mapToObj(tok::token).toList();
        assertEquals(c.tokens(), tokens);
    }

    @ParameterizedTest
    @MethodSource({"referenceCases", "llamaCppCases"})
    void decodesToReferenceText(TokenizerFixtures.Case c) {
        Tokenizer tok = TokenizerFixtures.tokenizer();
        assertEquals(c.decoded(), tok.decode(c.ids(), false));
        assertEquals(c.decodedSkipSpecial(), tok.decode(c.ids(), true));
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F) b.appendCodePoint(cp);
            else b.append(String.format("\\u{%X}", cp));
        });
        return b.toString();
    }
}
