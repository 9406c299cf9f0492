package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.Message;
import qwen2vl4j.io.SafeTensors;

/**
 * {@code run} as the held-out checks call it ({@code --format json --greedy --ignore-eos --max-tokens 16}) against the
 * reference's greedy continuations, plus the text format and bad inputs.
 */
class RunCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir"));
    private static final String MODEL = FIXTURES.resolve("models/tiny-qwen2vl").toString();
    private static final String[] HELD_OUT_FLAGS = {"--format", "json", "--greedy", "--ignore-eos", "--max-tokens", "16"};

    static JsonNode golden;
    static Qwen2VL model;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws Exception {
        golden = JSON.readTree(FIXTURES.resolve("golden_tiny.json").toFile());
        model = Qwen2VL.load(Path.of(MODEL), qwen2vl4j.LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static String image(String name) {
        return FIXTURES.resolve("images").resolve(name).toString();
    }

    static List<String> frames(String video) throws Exception {
        try (Stream<Path> s = Files.list(FIXTURES.resolve("videos").resolve(video))) {
            return s.map(Path::toString).sorted().toList();
        }
    }

    /** Runs {@code run --messages FILE} with the held-out flags and returns the one JSON object it printed. */
    JsonNode runJson(String messagesJson, String... extra) throws Exception {
        Path file = dir.resolve("messages.json");
        Files.writeString(file, messagesJson);
        List<String> args = new ArrayList<>(List.of("run", "--model", MODEL, "--messages", file.toString()));
        args.addAll(List.of(HELD_OUT_FLAGS));
        args.addAll(List.of(extra));
        return parseOne(CliRun.of(args.toArray(String[]::new)));
    }

    static JsonNode parseOne(CliRun r) throws Exception {
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr());
        assertTrue(r.stdout().endsWith("\n") && r.stdout().indexOf('\n') == r.stdout().length() - 1,
                "one line of JSON: " + r.stdout());
        return JSON.readTree(r.stdout());
    }

    /** The greedy ids equal the reference's up to its first step with a margin under 1e-3 (that step may differ). */
    static void assertGreedyIds(String caseName, JsonNode result) {
        JsonNode g = null;
        for (JsonNode c : golden) if (c.get("name").asText().equals(caseName)) g = c;
        JsonNode expected = g.get("greedy_ids"), margins = g.get("greedy_margins"), ids = result.get("ids");
        assertEquals(expected.size(), ids.size(), caseName + " generated " + ids);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).asInt(), ids.get(i).asInt(), caseName + " greedy step " + i);
            if (margins.get(i).asDouble() < 1e-3) break;
        }
        assertEquals("length", result.get("finish_reason").asText());
        assertEquals(List.of("ids", "text", "finish_reason", "usage", "timings"), fieldNames(result));
        assertEquals(List.of("prompt_tokens", "image_tokens", "video_tokens", "completion_tokens", "total_tokens"),
                fieldNames(result.get("usage")));
        assertEquals(16, result.get("usage").get("completion_tokens").asInt());
        try (SafeTensors st = SafeTensors.open(FIXTURES.resolve("golden_tiny.safetensors"))) {
            long promptTokens = st.tensor(g.get("input_ids").asText()).shape()[1];
            assertEquals(promptTokens, result.get("usage").get("prompt_tokens").asLong(), caseName + " prompt tokens");
        }
        assertEquals(model.tokenizer().decode(ints(ids), true), result.get("text").asText());
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static String json(Object value) throws Exception {
        return JSON.writeValueAsString(value);
    }

    @Test
    void textMatchesTheReference() throws Exception {
        assertGreedyIds("text_hello", runJson("[{\"role\": \"user\", \"content\": \"Hello, who are you?\"}]"));
    }

    @Test
    void imageWithAPathRelativeToTheMessagesFileMatchesTheReference() throws Exception {
        Files.copy(Path.of(image("exact_224x224.png")), dir.resolve("beside.png"));
        JsonNode r = runJson("""
                [{"role": "user", "content": [{"type": "image", "image": "beside.png"},
                                              {"type": "text", "text": "Describe this image."}]}]""");
        assertGreedyIds("image_one", r);
        assertEquals(64, r.get("usage").get("image_tokens").asInt());
    }

    @Test
    void twoImagesMatchTheReference() throws Exception {
        assertGreedyIds("image_two", runJson("[{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"image\": "
                + json(image("small_112x84.png")) + "}, {\"type\": \"image\", \"image\": " + json(image("tiny_20x30.png"))
                + "}, {\"type\": \"text\", \"text\": \"Compare them.\"}]}]"));
    }

    @Test
    void videoAsFramePathsMatchesTheReference() throws Exception {
        JsonNode r = runJson("[{\"role\": \"user\", \"content\": [{\"type\": \"video\", \"video\": "
                + json(frames("moving_8x168x224")) + "}, {\"type\": \"text\", \"text\": \"What happens?\"}]}]");
        assertGreedyIds("video_one", r);
        assertTrue(r.get("usage").get("video_tokens").asInt() > 0, r.toString());
    }

    @Test
    void flagsBuildTheSameMessagesAsTheReference() throws Exception {
        List<String> image = new ArrayList<>(List.of("run", "--model", MODEL, "--image", image("exact_224x224.png"),
                "--prompt", "Describe this image."));
        image.addAll(List.of(HELD_OUT_FLAGS));
        assertGreedyIds("image_one", parseOne(CliRun.of(image.toArray(String[]::new))));
        List<String> video = new ArrayList<>(List.of("run", "--model", MODEL, "--video",
                FIXTURES.resolve("videos/moving_8x168x224").toString(), "--prompt", "What happens?"));
        video.addAll(List.of(HELD_OUT_FLAGS));
        assertGreedyIds("video_one", parseOne(CliRun.of(video.toArray(String[]::new))));
    }

    @Test
    void textFormatStreamsTheJsonTextAndAStatsLine() throws Exception {
        String[] args = {"run", "--model", MODEL, "--prompt", "Hello, who are you?", "--greedy", "--ignore-eos",
                "--max-tokens", "16"};
        CliRun text = CliRun.of(args);
        assertEquals(0, text.exitCode(), text.stderr());
        String[] asJson = Stream.concat(Stream.of(args), Stream.of("--format", "json")).toArray(String[]::new);
        JsonNode json = parseOne(CliRun.of(asJson));
        assertGreedyIds("text_hello", json);
        assertEquals(json.get("text").asText() + "\n", text.stdout());
        assertEquals(1, text.stderr().lines().count(), text.stderr());
        int promptTokens = json.get("usage").get("prompt_tokens").asInt();
        assertTrue(text.stderr().startsWith("[prompt " + promptTokens + " tokens (image 0, video 0), generated 16 tokens (length); prefill "),
                text.stderr());
        String[] quiet = Stream.concat(Stream.of(args), Stream.of("--quiet")).toArray(String[]::new);
        assertEquals("", CliRun.of(quiet).stderr());
    }

    @Test
    void addVisionIdLabelsTheImages() throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--model", MODEL, "--image", image("small_112x84.png"),
                "--image", image("tiny_20x30.png"), "--prompt", "Compare them.", "--add-vision-id"));
        args.addAll(List.of(HELD_OUT_FLAGS));
        JsonNode r = parseOne(CliRun.of(args.toArray(String[]::new)));
        List<Message> messages = List.of(new Message("user", List.of(
                new qwen2vl4j.chat.ContentPart.Image(qwen2vl4j.chat.MediaSource.of(image("small_112x84.png"))),
                new qwen2vl4j.chat.ContentPart.Image(qwen2vl4j.chat.MediaSource.of(image("tiny_20x30.png"))),
                new qwen2vl4j.chat.ContentPart.Text("Compare them."))));
        assertEquals(model.processor().process(messages, true, true).ids().length, r.get("usage").get("prompt_tokens").asInt());
        assertNotEquals(model.processor().process(messages, true, false).ids().length, r.get("usage").get("prompt_tokens").asInt());
    }

    // ------------------------------------------------------------------ bad input: one line on stderr, nothing on stdout

    CliRun runMessages(String messagesJson) throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, messagesJson);
        return CliRun.of("run", "--model", MODEL, "--messages", file.toString(), "--greedy", "--max-tokens", "4");
    }

    static void assertOneLineError(CliRun r, String... mentions) {
        assertNotEquals(0, r.exitCode());
        assertEquals("", r.stdout());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertTrue(r.stderr().startsWith("qwen2vl4j: "), r.stderr());
        for (String m : mentions) assertTrue(r.stderr().contains(m), "'" + m + "' in " + r.stderr());
    }

    @Test
    void aMissingImageFileIsNamed() throws Exception {
        assertOneLineError(runMessages("[{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"image\": \"no_such.png\"}, "
                + "{\"type\": \"text\", \"text\": \"Describe.\"}]}]"), "no_such.png");
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--image", "also_missing.jpg", "--prompt", "x"), "also_missing.jpg");
    }

    /** Was "qwen2vl4j: -877671408" (a NegativeArraySizeException from a 4e9-pixel resize). */
    @Test
    void minPixelsBeyondTheModelsMaxIsNamedWithItsRange() throws Exception {
        String image = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolve("images/tiny_20x30.png").toAbsolutePath().toString();
        assertOneLineError(runMessages("[{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"image\": " + json(image)
                + ", \"min_pixels\": 4000000000}, {\"type\": \"text\", \"text\": \"Describe.\"}]}]"),
                "tiny_20x30.png", "min_pixels must be in [1, 12845056]", "4000000000");
    }

    private static String json(String s) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
    }

    @Test
    void anUnknownContentPartTypeIsNamed() throws Exception {
        assertOneLineError(runMessages("[{\"role\": \"user\", \"content\": [{\"type\": \"audio\", \"audio\": \"a.wav\"}]}]"),
                "bad.json", "message 0, part 0", "unknown content part type 'audio'");
    }

    @Test
    void malformedMessagesJsonIsNamed() throws Exception {
        assertOneLineError(runMessages("[{\"role\": \"user\", \"content\": "), "bad.json", "invalid JSON");
        assertOneLineError(runMessages("{\"role\": \"user\"}"), "bad.json", "expected a JSON array");
        assertOneLineError(runMessages("[{\"role\": \"user\"}]"), "bad.json", "\"content\" is missing");
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--messages", dir.resolve("none.json").toString()), "none.json",
                "no such file");
        Path latin1 = Files.write(dir.resolve("latin1.json"), new byte[] {'[', '"', (byte) 0xE9, '"', ']'});
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--messages", latin1.toString()), "latin1.json", "not UTF-8 text");
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--messages", dir.toString()), "is a folder: give a JSON file");
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--messages", ""), "--messages needs a JSON file, found ''");
    }

    @Test
    void aPromptOverTheContextIsRefused() {
        String prompt = "word ".repeat(model.contextLength() + 10);
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--prompt", prompt, "--greedy"),
                "exceeds the model's limit of " + model.contextLength() + " tokens");
    }

    @Test
    void conflictingOrBadFlagsAreRefusedBeforeLoading() {
        assertOneLineError(CliRun.of("run", "--model", "/no/such/model", "--prompt", "x", "--greedy", "--temperature", "0.5"),
                "--greedy cannot be combined");
        assertOneLineError(CliRun.of("run", "--model", "/no/such/model", "--prompt", "x", "--top-p", "2"), "--top-p", "2.0");
        assertOneLineError(CliRun.of("run", "--model", "/no/such/model"), "nothing to answer");
        assertOneLineError(CliRun.of("run", "--model", MODEL, "--messages", "m.json", "--prompt", "x"),
                "--messages cannot be combined");
    }
}
