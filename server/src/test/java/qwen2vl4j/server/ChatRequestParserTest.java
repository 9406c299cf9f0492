package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.generate.SamplingParams;

/** Request fields to messages and sampling parameters; the model's defaults fill what the request leaves out. */
class ChatRequestParserTest {
    static final SamplingParams DEFAULTS = SamplingParams.builder().greedy(false).temperature(0.7).topK(20).topP(0.8)
            .maxNewTokens(100).eosTokenIds(List.of(7)).build();
    static final ChatRequestParser PARSER = new ChatRequestParser(DEFAULTS, new MediaFetcher(false, 1000, Duration.ofSeconds(1)), 4);

    static ChatRequest parse(String json) {
        return PARSER.parse(ServerFixture.json(json));
    }

    static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void defaultsApplyWhenTheRequestSaysNothing() {
        ChatRequest r = parse("{" + HI + "}");
        assertEquals(DEFAULTS, r.params());
        assertFalse(r.stream());
        assertFalse(r.includeUsage());
        assertEquals("", r.model());
    }

    @Test
    void requestFieldsOverrideDefaults() {
        ChatRequest r = parse("{" + HI + ",\"model\":\"m\",\"max_tokens\":5,\"max_completion_tokens\":9,\"temperature\":0.3,\"top_p\":0.5,"
                + "\"top_k\":-1,\"min_p\":0.1,\"seed\":12345678901,\"stop\":[\"a\",\"bc\"],\"presence_penalty\":0.5,"
                + "\"frequency_penalty\":-0.5,\"repetition_penalty\":1.1,\"ignore_eos\":true,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");
        SamplingParams p = r.params();
        assertEquals(9, p.maxNewTokens(), "max_completion_tokens wins over max_tokens");
        assertTrue(p.sampling());
        assertEquals(0.3, p.temperature());
        assertEquals(0.5, p.topP());
        assertEquals(0, p.topK(), "top_k -1 disables");
        assertEquals(0.1, p.minP());
        assertEquals(12345678901L, p.seed());
        assertEquals(List.of("a", "bc"), p.stopStrings());
        assertEquals(0.5, p.presencePenalty());
        assertEquals(-0.5, p.frequencyPenalty());
        assertEquals(1.1, p.repetitionPenalty());
        assertTrue(p.ignoreEos());
        assertEquals(List.of(7), p.eosTokenIds());
        assertTrue(r.stream() && r.includeUsage());
        assertEquals("m", r.model());
    }

    @Test
    void temperatureZeroIsGreedyAndStopMayBeAString() {
        SamplingParams p = parse("{" + HI + ",\"temperature\":0,\"stop\":\"END\"}").params();
        assertTrue(p.greedy());
        assertFalse(p.sampling());
        assertEquals(List.of("END"), p.stopStrings());
    }

    @Test
    void messagesWithPartsAndOptions() {
        String png = "data:image/png;base64,iVBORw0KGgo=";
        ChatRequest r = parse("{\"messages\":[{\"role\":\"developer\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"look\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + png + "\",\"detail\":\"high\",\"max_pixels\":1000},\"min_pixels\":10},"
                + "{\"type\":\"video\",\"video\":[\"" + png + "\",\"" + png + "\"],\"fps\":2.5}]},"
                + "{\"role\":\"assistant\",\"content\":null}]}");
        assertEquals("system", r.messages().get(0).role());
        List<ContentPart> parts = r.messages().get(1).content();
        assertEquals(new ContentPart.Text("look"), parts.get(0));
        ContentPart.Image image = (ContentPart.Image) parts.get(1);
        assertEquals(Map.of("min_pixels", 10L, "max_pixels", 1000L), image.options());
        assertEquals(8, ((MediaSource.BytesSource) image.source()).bytes().length);
        ContentPart.Video video = (ContentPart.Video) parts.get(2);
        assertEquals(2, video.frames().size());
        assertEquals(2.5, ((Number) video.options().get("fps")).doubleValue());
        assertEquals("", ((ContentPart.Text) r.messages().get(2).content().get(0)).text());
    }

    @Test
    void badOptionsAndTooManyMediaAre400() {
        String png = "\"data:image/png;base64,iVBORw0KGgo=\"";
        String bad = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":" + png
                + ",\"max_pixels\":\"big\"}}]}]}";
        assertEquals("messages[0].content[0].image_url.max_pixels", param(bad));
        String part = "{\"type\":\"image_url\",\"image_url\":" + png + "}";
        String many = "{\"messages\":[{\"role\":\"user\",\"content\":[" + String.join(",", List.of(part, part, part, part, part)) + "]}]}";
        assertEquals("messages[0].content[4]", param(many));
        assertEquals("repetition_penalty", param("{" + HI + ",\"repetition_penalty\":0}"));
        assertEquals("top_p", param("{" + HI + ",\"top_p\":0}"));
        assertEquals("stop[1]", param("{" + HI + ",\"stop\":[\"a\",\"\"]}"));
    }

    static String param(String json) {
        ApiException e = assertThrows(ApiException.class, () -> parse(json));
        assertEquals(400, e.status());
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) e.body().get("error");
        return (String) error.get("param");
    }
}
