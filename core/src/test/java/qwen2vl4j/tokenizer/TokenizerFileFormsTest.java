package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three ways a tokenizer is stored load to the same tokenizer. The fixture tokenizer.json
 * has merges as ["a","b"] pairs; the other forms are written from it here.
 */
class TokenizerFileFormsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void fixtureUsesMergePairs() throws IOException {
        JsonNode merges = fixtureTokenizerJson().get("model").get("merges");
        assertTrue(merges.get(0).isArray(), "fixture merges are expected as pairs, found " + merges.get(0));
        assertEncodesReferenceCases(TokenizerFixtures.tokenizer());
    }

    @Test
    void loadsTokenizerJsonWithMergeStrings() throws IOException {
        ObjectNode root = (ObjectNode) fixtureTokenizerJson();
        ArrayNode strings = JSON.createArrayNode();
        for (JsonNode pair : root.get("model").get("merges")) strings.add(pair.get(0).asText() + " " + pair.get(1).asText());
        ((ObjectNode) root.get("model")).set("merges", strings);
        JSON.writeValue(tmp.resolve("tokenizer.json").toFile(), root);
        assertEncodesReferenceCases(Tokenizer.load(tmp));
    }

    @Test
    void loadsVocabAndMergesWithVersionLine() throws IOException {
        writeVocabAndMerges(tmp, true);
        assertEncodesReferenceCases(Tokenizer.load(tmp));
    }

    @Test
    void loadsVocabAndMergesWithoutVersionLine() throws IOException {
        writeVocabAndMerges(tmp, false);
        Tokenizer tok = Tokenizer.load(tmp);
        assertEncodesReferenceCases(tok);
        assertEquals(TokenizerFixtures.tokenizer().vocabSize(), tok.vocabSize());
        assertTrue(tok.isSpecial(tok.tokenId("<|im_end|>").orElseThrow()));
    }

    /** Writes vocab.json, merges.txt and tokenizer_config.json (added tokens) from the fixture. */
    static void writeVocabAndMerges(Path dir, boolean versionLine) throws IOException {
        JsonNode root = fixtureTokenizerJson();
        JSON.writeValue(dir.resolve("vocab.json").toFile(), root.get("model").get("vocab"));
        List<String> lines = new ArrayList<>();
        if (versionLine) lines.add("#version: 0.2");
        for (JsonNode pair : root.get("model").get("merges")) lines.add(pair.get(0).asText() + " " + pair.get(1).asText());
        Files.write(dir.resolve("merges.txt"), lines, StandardCharsets.UTF_8);
        Files.copy(TokenizerFixtures.modelDir().resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static JsonNode fixtureTokenizerJson() throws IOException {
        return JSON.readTree(TokenizerFixtures.modelDir().resolve("tokenizer.json").toFile());
    }

    private static void assertEncodesReferenceCases(Tokenizer tok) {
        for (TokenizerFixtures.Case c : TokenizerFixtures.cases("tokenizer_cases.json")) {
            assertArrayEquals(c.ids(), tok.encode(c.text()), () -> "text: " + TokenizerGoldenTest.escape(c.text()));
            assertEquals(c.decoded(), tok.decode(c.ids(), false));
            assertEquals(c.decodedSkipSpecial(), tok.decode(c.ids(), true));
        }
    }
}
