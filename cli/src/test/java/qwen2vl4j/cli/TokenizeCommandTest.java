package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs {@code tokenize} in-process on the tiny fixture model against the reference cases. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void encodesEachLineToTheReferenceIds() throws Exception {
        List<JsonNode> cases = referenceCases();
        StringBuilder input = new StringBuilder();
        for (JsonNode c : cases) input.append(JSON.writeValueAsString(c.get("text").asText())).append('\n');
        CliRun run = run(input.toString(), "tokenize", "--model", model());
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("", run.stderr());
        String[] lines = run.stdout().split("\n", -1);
        assertEquals(cases.size() + 1, lines.length, "one output line per input line");
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(cases.get(i).get("ids"), JSON.readTree(lines[i]).get("ids"), "line " + (i + 1));
            assertEquals(1, JSON.readTree(lines[i]).size(), "only the ids field");
        }
    }

    @Test
    void decodesEachLineWithAndWithoutSpecialTokens() throws Exception {
        List<JsonNode> cases = referenceCases();
        StringBuilder input = new StringBuilder();
        for (JsonNode c : cases) input.append(c.get("ids").toString()).append('\n');
        CliRun kept = run(input.toString(), "tokenize", "--model", model(), "--decode");
        CliRun skipped = run(input.toString(), "tokenize", "--model", model(), "--decode", "--skip-special");
        assertEquals(0, kept.exitCode(), kept.stderr());
        assertEquals(0, skipped.exitCode(), skipped.stderr());
        String[] keptLines = kept.stdout().split("\n");
        String[] skippedLines = skipped.stdout().split("\n");
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(cases.get(i).get("decoded").asText(), JSON.readTree(keptLines[i]).get("text").asText(), "line " + (i + 1));
            assertEquals(cases.get(i).get("decoded_skip_special").asText(), JSON.readTree(skippedLines[i]).get("text").asText());
        }
    }

    @Test
    void badLineExitsNonZeroNamingTheLine() throws Exception {
        CliRun run = run("\"fine\"\n{\"not\": \"a string\"}\n\"never read\"\n", "tokenize", "--model", model());
        assertNotEquals(0, run.exitCode());
        assertEquals(1, run.stderr().strip().lines().count(), run.stderr());
        assertTrue(run.stderr().contains("line 2"), run.stderr());
        assertEquals(1, run.stdout().lines().count(), "the line before the bad one is answered");
    }

    @Test
    void unknownIdInDecodeNamesLineAndId() throws Exception {
        CliRun run = run("[1, 2]\n[3, 99999999]\n", "tokenize", "--model", model(), "--decode");
        assertNotEquals(0, run.exitCode());
        assertTrue(run.stderr().contains("line 2") && run.stderr().contains("99999999"), run.stderr());
        CliRun notAnId = run("[1.5]\n", "tokenize", "--model", model(), "--decode");
        assertNotEquals(0, notAnId.exitCode());
        assertTrue(notAnId.stderr().contains("expected a token id (an integer in 0..151656) at index 0"), notAnId.stderr());
    }

    /** stdout in ISO-8859-1: the command writes UTF-8 bytes itself and must not rely on the platform's encoding. */
    private static CliRun run(String stdin, String... args) {
        return CliRun.withStdout(StandardCharsets.ISO_8859_1, stdin, args);
    }

    private static String model() {
        return fixtures().resolve("models").resolve("tiny-qwen2vl").toString();
    }

    private static Path fixtures() {
        return Path.of(System.getProperty("fixtures.dir"));
    }

    private static List<JsonNode> referenceCases() throws Exception {
        List<JsonNode> cases = new ArrayList<>();
        JSON.readTree(fixtures().resolve("tokenizer_cases.json").toFile()).forEach(cases::add);
        return cases;
    }
}
