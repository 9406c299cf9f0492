package qwen2vl4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.chat.jinja.TemplateRenderException;
import qwen2vl4j.io.ModelLoadException;

class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir", "../fixtures"));
    private static final Path TINY = FIXTURES.resolve("models/tiny-qwen2vl");

    static Stream<Arguments> cases() throws IOException {
        JsonNode cases = JSON.readTree(FIXTURES.resolve("chat_template_cases.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) out.add(Arguments.of(i, cases.get(i)));
        return out.stream();
    }

    private static Map<String, Object> kwargsWithoutGenerationPrompt(JsonNode c) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        c.get("kwargs").fields().forEachRemaining(e -> {
            if (!e.getKey().equals("add_generation_prompt")) kwargs.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        });
        return kwargs;
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void rendersEveryFixtureCaseFromRawJson(int index, JsonNode c) {
        ChatTemplate template = ChatTemplate.load(TINY);
        List<?> messages = JSON.convertValue(c.get("messages"), List.class);
        String rendered = template.render(messages, c.get("kwargs").path("add_generation_prompt").asBoolean(false),
                kwargsWithoutGenerationPrompt(c));
        assertEquals(c.get("text").asText(), rendered);
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void rendersEveryFixtureCaseFromTheTokenizerConfigTemplate(int index, JsonNode c) throws IOException {
        String source = JSON.readTree(TINY.resolve("tokenizer_config.json").toFile()).get("chat_template").asText();
        List<?> messages = JSON.convertValue(c.get("messages"), List.class);
        String rendered = ChatTemplate.parse(source).render(messages,
                c.get("kwargs").path("add_generation_prompt").asBoolean(false), kwargsWithoutGenerationPrompt(c));
        assertEquals(c.get("text").asText(), rendered);
    }

    @ParameterizedTest(name = "case {0}")
    @MethodSource("cases")
    void rendersFixtureCasesThroughTheMessageModel(int index, JsonNode c) {
        boolean everyMediaPartHasASource = true;
        for (JsonNode m : c.get("messages")) {
            for (JsonNode part : m.path("content")) {
                String type = part.path("type").asText();
                if ((type.equals("image") || type.equals("video")) && part.size() == 1) everyMediaPartHasASource = false;
            }
        }
        ChatTemplate template = ChatTemplate.load(TINY);
        boolean generationPrompt = c.get("kwargs").path("add_generation_prompt").asBoolean(false);
        if (!everyMediaPartHasASource) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Messages.fromJson(c.get("messages")));
            assertTrue(e.getMessage().contains("has no source"), e.getMessage());
            return;
        }
        List<Message> messages = Messages.fromJson(c.get("messages"));
        assertEquals(c.get("text").asText(), template.render(Messages.toTemplateValues(messages), generationPrompt,
                kwargsWithoutGenerationPrompt(c)));
        assertEquals(c.get("text").asText(), template.render(messages, generationPrompt, kwargsWithoutGenerationPrompt(c)));
    }

    @Test
    void messageHelpersRenderLikeTheirJson() throws IOException {
        ChatTemplate template = ChatTemplate.load(TINY);
        List<Message> messages = List.of(Message.system("S"), Message.user("U"), Message.assistant("A"),
                new Message("user", List.of(new ContentPart.Image(new MediaSource.FileSource(Path.of("a.png"))),
                        new ContentPart.Video(List.of(new MediaSource.FileSource(Path.of("v.mp4"))), Map.of()),
                        new ContentPart.Text("why?"))));
        String expected = "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA"
                + "<|im_end|>\n<|im_start|>user\nPicture 1: <|vision_start|><|image_pad|><|vision_end|>Video 1: "
                + "<|vision_start|><|video_pad|><|vision_end|>why?<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(expected, template.render(messages, true, Map.of("add_vision_id", true)));
    }

    @Test
    void loadsFromChatTemplateJinja(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.content }}]{% endfor %}\n");
        assertEquals("[hi]", ChatTemplate.load(dir).render(List.of(Map.of("role", "user", "content", "hi")), false, null));
    }

    @Test
    void loadsFromTokenizerConfigString(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": {\"content\": \"</s>\"}, \"chat_template\": \"{{ messages[0].content }}{{ eos_token }}\"}");
        assertEquals("x</s>", ChatTemplate.load(dir).render(List.of(Map.of("role", "user", "content", "x")), false,
                Map.of()));
    }

    @Test
    void loadsTheDefaultOfNamedTemplates(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", "
                + "\"template\": \"tools\"}, {\"name\": \"default\", \"template\": \"plain{{ add_generation_prompt }}\"}]}");
        assertEquals("plainTrue", ChatTemplate.load(dir).render(List.of(), true, Map.of()));
    }

    @Test
    void prefersChatTemplateJsonOverTheOthers(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"json\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "jinja");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"config\"}");
        assertEquals("json", ChatTemplate.load(dir).render(List.of(), false, Map.of()));
        Files.delete(dir.resolve("chat_template.json"));
        assertEquals("jinja", ChatTemplate.load(dir).render(List.of(), false, Map.of()));
        Files.delete(dir.resolve("chat_template.jinja"));
        assertEquals("config", ChatTemplate.load(dir).render(List.of(), false, Map.of()));
    }

    @Test
    void aFolderWithoutTemplateIsAClearError(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"x\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("no chat template"), e.getMessage());
    }

    @Test
    void aMalformedTemplateNamesTheFileAndLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "ok\n{% if x %}never closed");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().contains("chat_template.jinja") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void raiseExceptionSurfacesTheTemplateMessage() {
        ChatTemplate t = ChatTemplate.parse("{% if messages|length == 0 %}{{ raise_exception('No messages!') }}{% endif %}");
        TemplateRenderException e = assertThrows(TemplateRenderException.class, () -> t.render(List.of(), false, null));
        assertTrue(e.getMessage().startsWith("No messages!"), e.getMessage());
    }
}
