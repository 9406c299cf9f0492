package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.ImageContent.DetailLevel;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One model, several threads: every concurrent answer equals the one the same request gets alone. */
class ConcurrencyTest {
    @Test
    void concurrentCallsOnOneModelEqualSequentialOnes() throws Exception {
        Qwen2VLChatModel chat = Qwen2VLChatModel.builder().model(TinyModel.get()).temperature(0.0).maxOutputTokens(10).build();
        List<List<ChatMessage>> requests = List.of(
                List.of(UserMessage.from("Hello")),
                List.of(UserMessage.from("What is the capital of France?")),
                List.of(UserMessage.from(ImageContent.from(TinyModel.image("exact_224x224.png").toUri()), TextContent.from("Describe."))),
                List.of(UserMessage.from(ImageContent.from(TinyModel.image("odd_171x129.png").toUri(), DetailLevel.HIGH), TextContent.from("Read it."))),
                List.of(UserMessage.from("Count to ten.")),
                List.of(UserMessage.from(ImageContent.from(TinyModel.image("gray_256x256.png").toUri()), TextContent.from("Colour?"))));
        List<String> sequential = new ArrayList<>();
        for (List<ChatMessage> r : requests) sequential.add(chat.chat(r).aiMessage().text());
        assertTrue(new HashSet<>(sequential).size() > 1, "different requests, different answers: " + sequential);

        ExecutorService pool = Executors.newFixedThreadPool(requests.size());
        try {
            List<Future<ChatResponse>> futures = new ArrayList<>();
            for (List<ChatMessage> r : requests) futures.add(pool.submit(() -> chat.chat(r)));
            for (int i = 0; i < requests.size(); i++) {
                assertEquals(sequential.get(i), futures.get(i).get().aiMessage().text(), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
