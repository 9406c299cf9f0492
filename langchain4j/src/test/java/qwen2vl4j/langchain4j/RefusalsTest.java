package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import qwen2vl4j.LoadOptions;

/**
 * What Qwen2-VL cannot do fails with LangChain4j's exception types and a message naming the feature, the parameter
 * and its range, or the message part: before any work (the streaming model never starts a generation).
 */
class RefusalsTest {
    private static final Qwen2VLChatModel CHAT = Qwen2VLChatModel.builder().model(TinyModel.get()).temperature(0.0).maxOutputTokens(4).build();
    private static final AtomicInteger STARTED = new AtomicInteger();
    private static final Qwen2VLStreamingChatModel STREAMING = Qwen2VLStreamingChatModel.builder().model(TinyModel.get())
            .executor(task -> STARTED.incrementAndGet()).build();
    private static final StreamingChatResponseHandler IGNORE = new StreamingChatResponseHandler() {
        @Override
        public void onCompleteResponse(ChatResponse response) {}

        @Override
        public void onError(Throwable error) {}
    };

    /** Both models refuse {@code request} with {@code type} and a message containing {@code expected}, starting nothing. */
    private static void refused(Class<? extends Exception> type, String expected, ChatRequest request) {
        check(type, expected, () -> CHAT.chat(request));
        int before = STARTED.get();
        check(type, expected, () -> STREAMING.chat(request, IGNORE));
        assertEquals(before, STARTED.get(), "the streaming model started no generation");
    }

    private static void check(Class<? extends Exception> type, String expected, Executable call) {
        Exception e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }

    private static ChatRequest hello(ChatRequestParameters parameters) {
        return ChatRequest.builder().messages(UserMessage.from("Hello")).parameters(parameters).build();
    }

    private static ChatRequest messages(ChatMessage... messages) {
        return ChatRequest.builder().messages(messages).build();
    }

    @Test
    void toolsAndJsonResponseFormatAreUnsupported() {
        ToolSpecification weather = ToolSpecification.builder().name("weather").description("the weather").build();
        refused(UnsupportedFeatureException.class, "tools are not supported",
                hello(ChatRequestParameters.builder().toolSpecifications(weather).build()));
        refused(UnsupportedFeatureException.class, "[weather]", hello(ChatRequestParameters.builder().toolSpecifications(weather).build()));
        refused(UnsupportedFeatureException.class, "toolChoice REQUIRED", hello(ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build()));
        refused(UnsupportedFeatureException.class, "JSON response format", hello(ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build()));
        refused(UnsupportedFeatureException.class, "modelName 'gpt-4o'", hello(ChatRequestParameters.builder().modelName("gpt-4o").build()));
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("1").name("weather").arguments("{}").build();
        refused(UnsupportedFeatureException.class, "messages[1]: an AiMessage with tool execution requests",
                messages(UserMessage.from("Weather?"), AiMessage.from(List.of(call))));
        refused(UnsupportedFeatureException.class, "messages[1]: TOOL_EXECUTION_RESULT",
                messages(UserMessage.from("Weather?"), ToolExecutionResultMessage.from(call, "sunny")));
        refused(UnsupportedFeatureException.class, "messages[0].contents[1]: AUDIO content",
                messages(UserMessage.from(TextContent.from("Listen"), AudioContent.from("AAAA", "audio/wav"))));
    }

    @Test
    void parametersOutOfRangeNameTheParameterAndTheRange() {
        refused(InvalidRequestException.class, "temperature must be in [0, 2]", hello(ChatRequestParameters.builder().temperature(2.5).build()));
        refused(InvalidRequestException.class, "temperature must be 0 (greedy) or in [1.0E-5, 2], found 1.0E-300",
                hello(ChatRequestParameters.builder().temperature(1e-300).build()));
        refused(InvalidRequestException.class, "topP must be in (0, 1]", hello(ChatRequestParameters.builder().topP(0.0).build()));
        refused(InvalidRequestException.class, "topK must be >= 0", hello(ChatRequestParameters.builder().topK(-1).build()));
        refused(InvalidRequestException.class, "maxOutputTokens must be >= 1", hello(ChatRequestParameters.builder().maxOutputTokens(0).build()));
        refused(InvalidRequestException.class, "presencePenalty must be in [-2, 2]", hello(ChatRequestParameters.builder().presencePenalty(3.0).build()));
        refused(InvalidRequestException.class, "frequencyPenalty must be in [-2, 2]", hello(ChatRequestParameters.builder().frequencyPenalty(-3.0).build()));
        refused(InvalidRequestException.class, "repetitionPenalty must be in [0.01, 100] (1 = disabled), found 0.0",
                hello(Qwen2VLChatRequestParameters.builder().repetitionPenalty(0.0).build()));
        refused(InvalidRequestException.class, "minP must be in [0, 1]", hello(Qwen2VLChatRequestParameters.builder().minP(1.5).build()));
        refused(InvalidRequestException.class, "maxPixels must be at least 784", hello(Qwen2VLChatRequestParameters.builder().maxPixels(100L).build()));
        refused(InvalidRequestException.class, "minPixels 500000 is larger than maxPixels 200000",
                hello(Qwen2VLChatRequestParameters.builder().minPixels(500_000L).maxPixels(200_000L).build()));
    }

    @Test
    void mediaThatCannotBeReadAreNamedByTheirPart() {
        refused(InvalidRequestException.class, "messages[0].contents[0]: no image file at",
                messages(UserMessage.from(ImageContent.from("no/such/picture.png"), TextContent.from("Describe."))));
        refused(InvalidRequestException.class, "messages[0].contents[1]: invalid base64 data",
                messages(UserMessage.from(TextContent.from("Describe."), ImageContent.from("not base64!", "image/png"))));
        refused(InvalidRequestException.class, "the image URL scheme 'ftp' is not supported",
                messages(UserMessage.from(ImageContent.from("ftp://example.com/a.png"), TextContent.from("Describe."))));
    }

    @Test
    void remoteMediaAreRefusedUnlessAllowedAndThenOnlyFromPublicAddresses() {
        refused(InvalidRequestException.class, "messages[0].contents[0]: http(s) image URLs are refused",
                messages(UserMessage.from(ImageContent.from("https://example.com/cat.png"), TextContent.from("Describe."))));
        UserMessage loopback = UserMessage.from(ImageContent.from("http://127.0.0.1:9/cat.png"), TextContent.from("Describe."));
        try (Qwen2VLChatModel remote = Qwen2VLChatModel.builder().model(TinyModel.get()).allowRemoteMedia(true).build()) {
            check(InvalidRequestException.class, "messages[0].contents[0]: host 127.0.0.1 resolves to the non-public address 127.0.0.1",
                    () -> remote.chat(loopback));
        }
        // streaming: the download (here refused) happens on the generation's thread and fails through onError
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        Qwen2VLStreamingChatModel.builder().model(TinyModel.get()).allowRemoteMedia(true).build().chat(List.of(loopback),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        error.complete(null);
                    }

                    @Override
                    public void onError(Throwable e) {
                        error.complete(e);
                    }
                });
        Throwable e = error.join();
        assertInstanceOf(InvalidRequestException.class, e);
        assertTrue(e.getMessage().contains("non-public address"), e.getMessage());
    }

    @Test
    void aPromptOverTheContextIsRefusedBeforeTheModelRuns() {
        String huge = "hello ".repeat(TinyModel.get().contextLength() + 10);
        Exception e = assertThrows(InvalidRequestException.class, () -> CHAT.chat(huge));
        assertTrue(e.getMessage().contains("context holds " + TinyModel.get().contextLength()), e.getMessage());
    }

    @Test
    void buildersNameTheSettingThatIsWrong() {
        check(IllegalArgumentException.class, "no model", () -> Qwen2VLChatModel.builder().build());
        check(IllegalArgumentException.class, "both model(String) and model(Qwen2VL)",
                () -> Qwen2VLChatModel.builder().model(TinyModel.get()).model("x").build());
        check(IllegalArgumentException.class, "loadOptions apply only to model(String",
                () -> Qwen2VLChatModel.builder().model(TinyModel.get()).loadOptions(LoadOptions.defaults()).build());
        check(IllegalArgumentException.class, "temperature must be in [0, 2]",
                () -> Qwen2VLStreamingChatModel.builder().model(TinyModel.get()).temperature(-1.0).build());
        check(IllegalArgumentException.class, "tools are not supported", () -> Qwen2VLChatModel.builder().model(TinyModel.get())
                .defaultRequestParameters(ChatRequestParameters.builder().toolSpecifications(ToolSpecification.builder().name("t").build()).build())
                .build());
    }
}
