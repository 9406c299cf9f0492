package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Duration;

/**
 * Fuzz target of the chat-request reader (JSON, then every field): any body is a request or a 4xx
 * {@link ApiException}, never another exception. Regression inputs: {@code src/test/resources/qwen2vl4j/server/
 * ChatRequestFuzzTestInputs/chatRequest/}; {@code bin/fuzz} fuzzes it.
 */
class ChatRequestFuzzTest {
    private static final ChatRequestParser PARSER = new ChatRequestParser(ChatRequestParserTest.DEFAULTS,
            new MediaFetcher(false, 1 << 20, Duration.ofSeconds(1)), 4, 3136, 12_845_056, "tiny");

    @FuzzTest(maxDuration = "5s")
    void chatRequest(byte[] body) {
        try {
            ChatRequest r = PARSER.parse(Http.parseJson(body));
            assertTrue(!r.messages().isEmpty());
        } catch (ApiException e) {
            assertTrue(e.status() >= 400 && e.status() < 500, "status " + e.status() + ": " + e.getMessage());
            assertTrue(e.getMessage() != null && e.getMessage().length() < 4000, "unbounded message of " + e.getMessage().length());
        }
    }
}
