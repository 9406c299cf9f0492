package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.chat.Messages;

class VisionIdsTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir")).resolve("models/tiny-qwen2vl");

    static ContentPart image() {
        return new ContentPart.Image(MediaSource.of("a.png"));
    }

    static ContentPart video() {
        return new ContentPart.Video(List.of(MediaSource.of("frames")), Map.of());
    }

    static String render(List<Message> messages, boolean addVisionId) {
        return ChatTemplate.load(TINY).render(Messages.toTemplateValues(messages), true, Map.of("add_vision_id", addVisionId));
    }

    @Test
    void labelledMessagesRenderAsTheTemplatesAddVisionId() {
        List<Message> first = List.of(Message.system("s"),
                new Message("user", List.of(image(), new ContentPart.Text("and"), video(), image(), new ContentPart.Text("?"))));
        List<Message> second = List.of(new Message("user", List.of(video(), image(), new ContentPart.Text("more"))));
        VisionIds ids = new VisionIds();
        List<Message> labelled = new ArrayList<>(ids.label(first));
        labelled.add(Message.assistant("ok"));
        labelled.addAll(ids.label(second));
        List<Message> original = new ArrayList<>(first);
        original.add(Message.assistant("ok"));
        original.addAll(second);
        String expected = render(original, true);
        assertTrue(expected.contains("Picture 3: ") && expected.contains("Video 2: "), expected);
        assertEquals(expected, render(labelled, false));
    }
}
