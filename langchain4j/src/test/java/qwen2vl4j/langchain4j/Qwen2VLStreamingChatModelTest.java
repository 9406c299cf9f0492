package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Streaming gives the blocking answer piece by piece; a throwing or cancelling handler stops the generation. */
class Qwen2VLStreamingChatModelTest {
    private static final Qwen2VLChatModel BLOCKING = Qwen2VLChatModel.builder().model(TinyModel.get()).temperature(0.0).maxOutputTokens(16).build();
    private static final Qwen2VLStreamingChatModel STREAMING = Qwen2VLStreamingChatModel.builder().model(TinyModel.get())
            .temperature(0.0).maxOutputTokens(16).build();

    /** Records every callback. */
    static class Recorder implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        volatile int errors;

        @Override
        public void onPartialResponse(String partial) {
            partials.add(partial);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            errors++;
            done.completeExceptionally(error);
        }

        ChatResponse await() throws Exception {
            return done.get(5, TimeUnit.MINUTES);
        }

        Throwable awaitError() throws Exception {
            try {
                done.get(5, TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause();
            }
            throw new AssertionError("expected onError, got onCompleteResponse");
        }
    }

    @Test
    void streamingEqualsBlockingForTextAndForAnImage() throws Exception {
        for (UserMessage question : List.of(UserMessage.from("Hello, who are you?"),
                UserMessage.from(ImageContent.from(TinyModel.image("exact_224x224.png").toUri()), TextContent.from("Describe.")))) {
            ChatResponse blocking = BLOCKING.chat(question);
            Recorder recorder = new Recorder();
            STREAMING.chat(List.of(question), recorder);
            ChatResponse streamed = recorder.await();
            assertTrue(recorder.partials.size() > 1, "streamed in pieces: " + recorder.partials);
            assertEquals(blocking.aiMessage().text(), String.join("", recorder.partials));
            assertEquals(blocking.aiMessage(), streamed.aiMessage());
            assertEquals(blocking.tokenUsage(), streamed.tokenUsage());
            assertEquals(blocking.finishReason(), streamed.finishReason());
            assertEquals(((Qwen2VLChatResponseMetadata) blocking.metadata()).imageTokens(),
                    ((Qwen2VLChatResponseMetadata) streamed.metadata()).imageTokens());
        }
    }

    @Test
    void aHandlerThatThrowsStopsTheGenerationAndHearsItsExceptionInOnError() throws Exception {
        ChatRequest longAnswer = ChatRequest.builder().messages(UserMessage.from("Write a long story.")).maxOutputTokens(400).build();
        long fullNanos = Long.MAX_VALUE;
        for (int run = 0; run < 2; run++) {                     // the faster of two: the first one warms the JIT up
            long t0 = System.nanoTime();
            ChatResponse full = BLOCKING.chat(longAnswer);
            fullNanos = Math.min(fullNanos, System.nanoTime() - t0);
            assertEquals(FinishReason.LENGTH, full.finishReason(), "the full answer runs to its 400 tokens");
        }

        RuntimeException boom = new IllegalStateException("the consumer broke");
        Recorder recorder = new Recorder() {
            @Override
            public void onPartialResponse(String partial) {
                super.onPartialResponse(partial);
                throw boom;
            }
        };
        CompletableFuture<Long> finished = new CompletableFuture<>();
        long t1 = System.nanoTime();
        Qwen2VLStreamingChatModel streaming = Qwen2VLStreamingChatModel.builder().model(TinyModel.get()).temperature(0.0)
                .executor(task -> Thread.ofPlatform().start(() -> {
                    task.run();
                    finished.complete(System.nanoTime() - t1);
                })).build();
        streaming.chat(longAnswer, recorder);
        assertSame(boom, recorder.awaitError());
        long stoppedNanos = finished.get(5, TimeUnit.MINUTES);
        assertEquals(1, recorder.partials.size(), "no piece after the one whose handler threw");
        assertEquals(1, recorder.errors);
        assertTrue(stoppedNanos < fullNanos / 4, "stopped after the first token: " + stoppedNanos / 1e6 + " ms against "
                + fullNanos / 1e6 + " ms for the 400 tokens");
    }

    @Test
    void aCancelledStreamStopsTheGenerationAndEndsSilently() throws Exception {
        List<String> partials = new CopyOnWriteArrayList<>();
        CompletableFuture<Object> heard = new CompletableFuture<>();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        Qwen2VLStreamingChatModel streaming = Qwen2VLStreamingChatModel.builder().model(TinyModel.get()).temperature(0.0)
                .maxOutputTokens(400).executor(task -> Thread.ofPlatform().start(() -> {
                    task.run();
                    finished.complete(null);
                })).build();
        streaming.chat("Write a long story.", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                partials.add(partial.text());
                if (partials.size() == 3) context.streamingHandle().cancel();
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                heard.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                heard.complete(error);
            }
        });
        finished.get(5, TimeUnit.MINUTES);
        assertEquals(3, partials.size());
        assertFalse(heard.isDone(), "neither onCompleteResponse nor onError after a cancel");
    }

    @Test
    void failuresOnceTheWorkStartedGoToOnError() throws Exception {
        Recorder recorder = new Recorder();
        byte[] notAnImage = "not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        STREAMING.chat(List.of(UserMessage.from(ImageContent.from(java.util.Base64.getEncoder().encodeToString(notAnImage), "image/png"),
                TextContent.from("Describe."))), recorder);
        Throwable error = recorder.awaitError();
        assertInstanceOf(InvalidRequestException.class, error);
        assertTrue(error.getMessage().contains("messages[0].contents[0]"), error.getMessage());
        assertTrue(recorder.partials.isEmpty());
    }
}
