package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs {@code tokenize} in-process on the tiny fixture model against the reference cases. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(int exitCode, String out, String err) {}

    @Test
    void encodesEachLineToTheReferenceIds() throws Exception {
        List<JsonNode> cases = referenceCases();
        StringBuilder input = new StringBuilder();
        for (JsonNode c : cases) input.append(JSON.writeValueAsString(c.get("text").asText())).append('\n');
        Run run = run(input.toString(), "tokenize", "--model", model());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        String[] lines = run.out().split("\n", -1);
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
        Run kept = run(input.toString(), "tokenize", "--model", model(), "--decode");
        Run skipped = run(input.toString(), "tokenize", "--model", model(), "--decode", "--skip-special");
        assertEquals(0, kept.exitCode(), kept.err());
        assertEquals(0, skipped.exitCode(), skipped.err());
        String[] keptLines = kept.out().split("\n");
        String[] skippedLines = skipped.out().split("\n");
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(cases.get(i).get("decoded").asText(), JSON.readTree(keptLines[i]).get("text").asText(), "line " + (i + 1));
            assertEquals(cases.get(i).get("decoded_skip_special").asText(), JSON.readTree(skippedLines[i]).get("text").asText());
        }
    }

    @Test
    void badLineExitsNonZeroNamingTheLine() throws Exception {
        Run run = run("\"fine\"\n{\"not\": \"a string\"}\n\"never read\"\n", "tokenize", "--model", model());
        assertNotEquals(0, run.exitCode());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("line 2"), run.err());
        assertEquals(1, run.out().lines().count(), "the line before the bad one is answered");
    }

    @Test
    void unknownIdInDecodeNamesLineAndId() throws Exception {
        Run run = run("[1, 2]\n[3, 99999999]\n", "tokenize", "--model", model(), "--decode");
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("line 2") && run.err().contains("99999999"), run.err());
    }

    private static Run run(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.ISO_8859_1)); // the command must not rely on it
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            System.out.flush();
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
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
