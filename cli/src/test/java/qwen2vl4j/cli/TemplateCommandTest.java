package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;






import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.Message;

class TemplateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir", "../fixtures"));
    private static final Path TINY = FIXTURES.resolve("models/tiny-qwen2vl");

    private record Result(int exitCode, byte[] stdout, String stderr) { }

    private static Result run(String stdin, String... args) {
        CliRun r = CliRun.withStdin(stdin, args);
        return new Result(r.exitCode(), r.stdout().getBytes(StandardCharsets.UTF_8), r.stderr());
    }

    @Test
    void rendersEveryFixtureCaseExactly() throws Exception {
        JsonNode cases = JSON.readTree(FIXTURES.resolve("chat_template_cases.json").toFile());
        for (JsonNode c : cases) {
            ObjectNode request = ((ObjectNode) c.get("kwargs").deepCopy()).set("messages", c.get("messages"));
            Result r = run(JSON.writeValueAsString(request), "template", "--model", TINY.toString());
            assertEquals(0, r.exitCode(), r.stderr());
            assertArrayEquals(c.get("text").asText().getBytes(StandardCharsets.UTF_8), r.stdout(),
                    () -> new String(r.stdout(), StandardCharsets.UTF_8));
            assertEquals("", r.stderr());
        }
    }

    @Test
    void writesUtf8AndPassesExtraKeysAsVariables() {
        String request = """
                {"messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "héllo 🌍 ✓"}]}],
                 "add_generation_prompt": false, "add_vision_id": true}""";
        Result r = run(request, "template", "--model", TINY.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        String expected = ChatTemplate.load(TINY).render(
                List.of(Map.of("role", "user", "content", List.of(Map.of("type", "image"),
                        Map.of("type", "text", "text", "héllo 🌍 ✓")))), false, Map.of("add_vision_id", true));
        assertTrue(expected.contains("Picture 1: ") && expected.endsWith("<|im_end|>\n"), expected);
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), r.stdout());
        String plain = ChatTemplate.load(TINY).render(List.of(Message.user("héllo")), false, Map.of());
        assertArrayEquals(plain.getBytes(StandardCharsets.UTF_8),
                run("{\"messages\": [{\"role\": \"user\", \"content\": \"héllo\"}]}", "template", "--model",
                        TINY.toString()).stdout());
    }

    @Test
    void invalidJsonIsOneLineOnStderr() {
        Result r = run("{\"messages\": [", "template", "--model", TINY.toString());
        assertNotEquals(0, r.exitCode());
        assertEquals(0, r.stdout().length);
        assertTrue(r.stderr().startsWith("qwen2vl4j: stdin: invalid JSON"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        // a second object after the request was ignored: two requests on stdin rendered the first alone
        Result two = run("{\"messages\": []} {\"messages\": []}", "template", "--model", TINY.toString());
        assertNotEquals(0, two.exitCode());
        assertEquals(0, two.stdout().length);
        assertTrue(two.stderr().startsWith("qwen2vl4j: stdin: invalid JSON at line 1, column 18: more after the request object"),
                two.stderr());
        assertEquals(1, two.stderr().lines().count(), two.stderr());
    }

    @Test
    void missingMessagesIsAClearError() {
        Result r = run("{\"add_generation_prompt\": true}", "template", "--model", TINY.toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("\"messages\" must be an array"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }

    @Test
    void aFolderWithoutModelIsAClearError() {
        Path missing = FIXTURES.resolve("no-such-model");
        Result r = run("{\"messages\": []}", "template", "--model", missing.toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().startsWith("qwen2vl4j: ") && r.stderr().contains("no-such-model"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }
}
