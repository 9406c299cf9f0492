package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LangChain4j's own machinery (AiServices, chat memory) drives the model as it drives any other. */
class AiServicesTest {
    private static final Qwen2VLChatModel CHAT = Qwen2VLChatModel.builder().model(TinyModel.get()).temperature(0.0).maxOutputTokens(8).build();

    interface Describer {
        @dev.langchain4j.service.SystemMessage("You describe pictures in one sentence.")
        String describe(@dev.langchain4j.service.UserMessage String question, @dev.langchain4j.service.UserMessage ImageContent image);
    }

    interface Assistant {
        @dev.langchain4j.service.SystemMessage("You are a helpful assistant.")
        String chat(String message);
    }

    @Test
    void anAiServiceWithASystemMessageAndAnImageArgument() {
        Describer describer = AiServices.builder(Describer.class).chatModel(CHAT).build();
        ImageContent image = ImageContent.from(TinyModel.image("exact_224x224.png").toUri());
        String answer = describer.describe("What is in this picture?", image);
        String direct = CHAT.chat(SystemMessage.from("You describe pictures in one sentence."),
                UserMessage.from(TextContent.from("What is in this picture?"), image)).aiMessage().text();
        assertEquals(direct, answer);
        assertFalse(answer.isEmpty());
    }

    @Test
    void multiTurnWithMessageWindowChatMemory() {
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(CHAT).chatMemory(memory).build();
        String first = assistant.chat("Hello!");
        String second = assistant.chat("And what did I just say?");

        List<ChatMessage> history = memory.messages();
        assertEquals(5, history.size(), "system, user, AI, user, AI: " + history);
        assertInstanceOf(SystemMessage.class, history.get(0));
        assertEquals(first, ((AiMessage) history.get(2)).text());
        assertEquals(second, ((AiMessage) history.get(4)).text());
        String direct = CHAT.chat(SystemMessage.from("You are a helpful assistant."), UserMessage.from("Hello!"), AiMessage.from(first),
                UserMessage.from("And what did I just say?")).aiMessage().text();
        assertEquals(direct, second, "the second turn sees the first through the memory");
    }
}
