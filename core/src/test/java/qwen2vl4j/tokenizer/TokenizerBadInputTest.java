package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.ModelLoadException;

/** Missing and malformed tokenizer files give messages that name the file. */
class TokenizerBadInputTest {
    @TempDir
    Path tmp;

    @Test
    void missingFolder() {
        Path missing = tmp.resolve("nope");
        assertMessageContains(() -> Tokenizer.load(missing), missing.toString());
    }

    @Test
    void folderWithoutTokenizerFiles() {
        assertMessageContains(() -> Tokenizer.load(tmp), "tokenizer.json");
    }

    @Test
    void vocabWithoutMerges() throws IOException {
        Files.writeString(tmp.resolve("vocab.json"), "{}");
        assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("merges.txt").toString());
    }

    @Test
    void truncatedTokenizerJson() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0");
        assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("tokenizer.json").toString());
    }

    @Test
    void tokenizerJsonWithoutModel() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        ModelLoadException e = assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("tokenizer.json").toString());
        assertTrue(e.getMessage().contains("model"), e.getMessage());
    }

    @Test
    void tokenizerJsonWithWrongShapesNamesTheField() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": [\"a\"], \"merges\": []}}");
        ModelLoadException vocab = assertMessageContains(() -> Tokenizer.load(tmp), file.toString());
        assertTrue(vocab.getMessage().contains("model.vocab"), vocab.getMessage());
        Files.writeString(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\", 7]}}");
        ModelLoadException merges = assertMessageContains(() -> Tokenizer.load(tmp), file.toString());
        assertTrue(merges.getMessage().contains("model.merges[1]"), merges.getMessage());
        Files.writeString(file, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        ModelLoadException type = assertMessageContains(() -> Tokenizer.load(tmp), file.toString());
        assertTrue(type.getMessage().contains("BPE"), type.getMessage());
    }

    @Test
    void malformedVocabJson() throws IOException {
        Files.writeString(tmp.resolve("vocab.json"), "[1, 2");
        Files.writeString(tmp.resolve("merges.txt"), "");
        assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("vocab.json").toString());
    }

    @Test
    void malformedMergesLineNamesFileAndLine() throws IOException {
        TokenizerFileFormsTest.writeVocabAndMerges(tmp, true);
        List<String> lines = Files.readAllLines(tmp.resolve("merges.txt"), StandardCharsets.UTF_8);
        lines.set(3, "abc");
        Files.write(tmp.resolve("merges.txt"), lines, StandardCharsets.UTF_8);
        ModelLoadException e = assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("merges.txt").toString());
        assertTrue(e.getMessage().contains("line 4"), e.getMessage());
    }

    @Test
    void mergeOfUnknownTokenNamesTheToken() throws IOException {
        TokenizerFileFormsTest.writeVocabAndMerges(tmp, false);
        Files.writeString(tmp.resolve("merges.txt"), "Ġ Ġ\nzzzunknown Ġ\n");
        ModelLoadException e = assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("merges.txt").toString());
        assertTrue(e.getMessage().contains("zzzunknown") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void malformedTokenizerConfig() throws IOException {
        TokenizerFileFormsTest.writeVocabAndMerges(tmp, false);
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"added_tokens_decoder\": {\"151643\": ");
        assertMessageContains(() -> Tokenizer.load(tmp), tmp.resolve("tokenizer_config.json").toString());
    }

    @Test
    void decodeOfUnknownIdNamesTheId() {
        Tokenizer tok = TokenizerFixtures.tokenizer();
        int bad = tok.vocabSize() + 7;
        var e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {9707, bad}, false));
        assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-3}, true));
        assertTrue(negative.getMessage().contains("-3"), negative.getMessage());
    }

    private static ModelLoadException assertMessageContains(org.junit.jupiter.api.function.Executable load, String expected) {
        ModelLoadException e = assertThrows(ModelLoadException.class, load);
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
        return e;
    }
}
