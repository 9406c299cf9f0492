package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;

/** The README's library example, as written there, on the tiny fixture model. */
class ReadmeExampleTest {
    @Test
    void theReadmeExampleRuns() {
        StringBuilder out = new StringBuilder();
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel().toString())) {
            var question = new Message("user", List.of(
                    new ContentPart.Image(MediaSource.of(Fixtures.file("images/exact_224x224.png").toString())),
                    new ContentPart.Text("What is in this picture?")));
            GenerationResult r = model.generate(List.of(question), model.defaultParams().toBuilder().maxNewTokens(4).build(),
                    (id, text) -> out.append(text));
            Conversation chat = model.newConversation();
            GenerationResult c = chat.send(Message.user("Hello"), SamplingParams.builder().greedy(true).maxNewTokens(4).build(), null);
            assertEquals(r.text(), out.toString());
            assertEquals(64, r.usage().imageTokens());
            assertTrue(c.ids().length > 0);
        }
    }
}
