package qwen2vl4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Message> parse(String json) throws Exception {
        return Messages.fromJson(JSON.readTree(json));
    }

    @Test
    void readsStringAndPartContent() throws Exception {
        List<Message> messages = parse("""
                [{"role": "system", "content": "be brief"},
                 {"role": "user", "content": [
                   {"type": "image", "image": "/tmp/a.png", "min_pixels": 3136, "max_pixels": 12845056},
                   {"type": "image_url", "image_url": {"url": "https://x.org/b.jpg"}},
                   {"type": "image_url", "image_url": "data:image/png;base64,AAAA"},
                   {"type": "image", "url": "file:///tmp/c.png"},
                   {"type": "video", "video": ["f1.png", "f2.png"], "fps": 2.0},
                   {"type": "video", "video": "clip.mp4"},
                   {"type": "text", "text": "what?"}]}]""");
        assertEquals(Message.system("be brief"), messages.get(0));
        List<ContentPart> parts = messages.get(1).content();
        ContentPart.Image a = assertInstanceOf(ContentPart.Image.class, parts.get(0));
        assertEquals(new MediaSource.FileSource(Path.of("/tmp/a.png")), a.source());
        assertEquals(Map.of("min_pixels", 3136, "max_pixels", 12845056), a.options());
        assertEquals(new MediaSource.UriSource("https://x.org/b.jpg"), ((ContentPart.Image) parts.get(1)).source());
        assertEquals(new MediaSource.UriSource("data:image/png;base64,AAAA"), ((ContentPart.Image) parts.get(2)).source());
        assertEquals(new MediaSource.FileSource(Path.of("/tmp/c.png")), ((ContentPart.Image) parts.get(3)).source());
        ContentPart.Video v = assertInstanceOf(ContentPart.Video.class, parts.get(4));
        assertEquals(List.of(new MediaSource.FileSource(Path.of("f1.png")), new MediaSource.FileSource(Path.of("f2.png"))),
                v.frames());
        assertEquals(Map.of("fps", 2.0), v.options());
        assertEquals(List.of(new MediaSource.FileSource(Path.of("clip.mp4"))), ((ContentPart.Video) parts.get(5)).frames());
        assertEquals(new ContentPart.Text("what?"), parts.get(6));
        assertEquals(5, Messages.images(messages).size() + Messages.videos(messages).size() - 1);
    }

    @Test
    void templateValuesKeepStringsAndReducePartsToTheirType() throws Exception {
        List<Message> messages = parse("""
                [{"role": "user", "content": "hi"},
                 {"role": "user", "content": [{"type": "image", "image": "a.png", "max_pixels": 9},
                   {"type": "video", "video": "v.mp4"}, {"type": "text", "text": "t"}]}]""");
        assertEquals(List.of(Map.of("role", "user", "content", "hi"),
                Map.of("role", "user", "content", List.of(Map.of("type", "image"), Map.of("type", "video"),
                        Map.of("type", "text", "text", "t")))), Messages.toTemplateValues(messages));
    }

    @Test
    void anUnknownPartTypeNamesMessageAndType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("""
                [{"role": "user", "content": "ok"},
                 {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "audio", "audio": "x.wav"}]}]"""));
        assertTrue(e.getMessage().contains("message 1") && e.getMessage().contains("'audio'"), e.getMessage());
    }

    @Test
    void malformedMessagesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("[{\"content\": \"x\"}]"))
                .getMessage().contains("message 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("{\"role\": \"user\"}"))
                .getMessage().contains("array"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> parse("[{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]"))
                .getMessage().contains("message 0, part 0"));
        assertEquals("message 1: \"role\" must be one of system, developer, user, assistant, tool, found 'wizard'",
                assertThrows(IllegalArgumentException.class, () -> parse("[{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"wizard\", "
                        + "\"content\": \"y\"}]")).getMessage());
    }

    /** OpenAI's {@code developer} is read as {@code system}, as the server reads it. */
    @Test
    void developerIsSystem() throws Exception {
        assertEquals("system", parse("[{\"role\": \"developer\", \"content\": \"Be brief.\"}]").get(0).role());
    }
}
