package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qwen2vl4j.chat.Message;

/** Client mistakes get a 4xx in OpenAI's error format (never a 500), and the server keeps serving afterwards. */
class ErrorResponsesTest {
    static final int MAX_BODY = 1 << 20;
    static ServerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new ServerFixture(ServerOptions.builder().maxBodyBytes(MAX_BODY).maxMediaItems(2));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    /** After every mistake a well-formed request is still answered correctly. */
    @AfterEach
    void stillServing() {
        HttpResponse<String> r = fixture.post("/v1/chat/completions", ServerFixture.greedyBody("Hello there", 5, false));
        assertEquals(200, r.statusCode(), r.body());
        String expected = ServerFixture.expected(List.of(Message.user("Hello there")), 5).text();
        assertEquals(expected, ServerFixture.json(r.body()).at("/choices/0/message/content").asText());
    }

    static JsonNode assertError(HttpResponse<String> r, int status, String param) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode error = ServerFixture.json(r.body()).get("error");
        assertTrue(error != null && error.get("message").isTextual() && !error.get("message").asText().isEmpty(), r.body());
        assertTrue(error.has("type") && error.has("param") && error.has("code"), r.body());
        if (param != null) assertEquals(param, error.get("param").asText(), r.body());
        return error;
    }

    private static HttpResponse<String> chat(String body) {
        return fixture.post("/v1/chat/completions", body);
    }

    @ParameterizedTest(name = "[{index}]")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\": [ |",
            "not json at all |",
            "{\"messages\":[]} trailing |",
            "[1, 2, 3] |",
            "'' |",
    })
    void malformedJsonIs400(String body, String param) {
        JsonNode e = assertError(chat(body == null ? "" : body), 400, param);
        assertEquals("invalid_request_error", e.get("type").asText());
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":\"hi\"} | messages",
            "{\"messages\":[]} | messages",
            "{} | messages",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"ten\"} | max_tokens",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0} | max_tokens",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1.5} | max_tokens",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"} | temperature",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":-1} | temperature",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"yes\"} | stream",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":5} | stop",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":\"x\"} | seed",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":2} | n",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"presence_penalty\":3} | presence_penalty",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream_options\":{\"include_usage\":1}} | stream_options.include_usage",
            "{\"messages\":[{\"role\":5,\"content\":\"hi\"}]} | messages[0].role",
            "{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]} | messages[0].role",
            "{\"messages\":[{\"role\":\"user\",\"content\":42}]} | messages[0].content",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"no type\"}]}]} | messages[0].content[0].type",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]} | messages[0].content[0].type",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":7}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"/etc/passwd\"}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"file:///etc/passwd\"}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://127.0.0.1/x.png\"}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,@@@\"}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png,plain\"}}]}]} | messages[0].content[0].image_url.url",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":2,\"max_tokens\":\"x\"} | max_tokens",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":5} | user",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\",\"detail\":\"ultra\"}}]}]} | messages[0].content[0].image_url.detail",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\",\"detail\":5}}]}]} | messages[0].content[0].image_url.detail",
    })
    void wrongTypesAndValuesAre400NamingTheField(String body, String param) {
        assertError(chat(body), 400, param);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}] | tools",
            "\"tool_choice\":\"auto\" | tool_choice",
            "\"functions\":[{\"name\":\"f\"}] | functions",
            "\"logprobs\":true | logprobs",
            "\"top_logprobs\":2 | top_logprobs",
            "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}} | response_format",
            "\"response_format\":{\"type\":\"json_object\"} | response_format",
            "\"logit_bias\":{\"1\":100} | logit_bias",
            "\"logit_bias\":\"x\" | logit_bias",
    })
    void unsupportedFieldsAre400NamingTheField(String field, String param) {
        JsonNode e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + field + "}"), 400, param);
        assertEquals("unsupported_parameter", e.get("code").asText());
        assertTrue(e.get("message").asText().startsWith(param + " is not supported"), e.toString());
    }

    @Test
    void harmlessValuesOfUnsupportedFieldsAreAccepted() {
        HttpResponse<String> r = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"logprobs\":false,"
                + "\"tools\":[],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"}}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void anotherModelNameIs404ModelNotFound() {
        JsonNode e = assertError(chat("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 404, "model");
        assertEquals("model_not_found", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("'tiny'"), e.toString());
        assertEquals(200, chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}").statusCode());
    }

    /** Out-of-range integers are reported as such, with the field and its range (not as "must be an integer"). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "\"max_tokens\":1e12 | max_tokens | max_tokens must be in [1, 2147483647], found 1000000000000",
            "\"max_tokens\":10000000000000 | max_tokens | max_tokens must be in [1, 2147483647], found 10000000000000",
            "\"max_completion_tokens\":-5 | max_completion_tokens | max_completion_tokens must be in [1, 2147483647], found -5",
            "\"seed\":1180591620717411303424 | seed | seed must be in [-9223372036854775808, 9223372036854775807], found 1180591620717411303424",
            "\"top_k\":1e300 | top_k | top_k must be in [-1, 2147483647]",
    })
    void outOfRangeIntegersNameTheFieldAndRange(String field, String param, String message) {
        JsonNode e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + field + "}"), 400, param);
        assertTrue(e.get("message").asText().startsWith(message), e.toString());
    }

    /** The message gives the valid range as it is (0 excluded or not). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "\"top_p\":1.5 | top_p | top_p must be in (0, 1], found 1.5",
            "\"top_p\":0 | top_p | top_p must be in (0, 1], found 0",
            "\"repetition_penalty\":-1 | repetition_penalty | repetition_penalty must be in [0.01, 100] (1 disables), found -1",
            "\"repetition_penalty\":1e-300 | repetition_penalty | repetition_penalty must be in [0.01, 100] (1 disables), found 1.0E-300",
    })
    void rangesAreSpelledOut(String field, String param, String message) {
        JsonNode e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + field + "}"), 400, param);
        assertEquals(message, e.get("message").asText());
    }

    /** A temperature too small for float logits (1e-300 is 0 as a float, and was a 500) decodes greedily, as its limit. */
    @Test
    void tinyTemperatureIsGreedy() {
        String body = ServerFixture.greedyBody("Hello there", 5, false).replace("\"temperature\":0", "\"temperature\":1e-300");
        assertTrue(body.contains("\"temperature\":1e-300,"), body);
        HttpResponse<String> r = chat(body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(ServerFixture.expected(List.of(Message.user("Hello there")), 5).text(), ServerFixture.answerText(r.body()));
    }

    /**
     * Malformed JSON is reported without Jackson's advice to programmers ("enable `JsonReadFeature...` to allow") or its
     * redacted source ("start marker at [Source: REDACTED ...]").
     */
    @Test
    void malformedJsonIsReportedWithoutJacksonInternals() {
        JsonNode e = assertError(chat("[".repeat(2000) + "]".repeat(2000)), 400, null);
        assertEquals("malformed JSON: Document nesting depth (1001) exceeds the maximum allowed (1000)", e.get("message").asText());
        e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":NaN}"), 400, null);
        assertEquals("malformed JSON at line 1, column 63: Non-standard token 'NaN' (JSON numbers are finite: no NaN or Infinity)",
                e.get("message").asText());
        e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":+1}"), 400, null);
        assertEquals("malformed JSON at line 1, column 61: Unexpected character ('+' (code 43)) in numeric value: JSON spec does not "
                + "allow numbers to have plus signs", e.get("message").asText());
        e = assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}"), 400, null);   // a body cut short
        assertEquals("malformed JSON at line 1, column 44: Unexpected end-of-input: expected close marker for Array (opened at line 1,"
                + " column 13)", e.get("message").asText());
    }

    /** Options that only mean something together are refused, naming the field, rather than one being dropped. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "\"min_pixels\":100000,\"max_pixels\":5000 | image_url.max_pixels | must be at least min_pixels (100000), found 5000",
            "\"max_pixels\":100 | image_url.max_pixels | must be at least the default min_pixels (3136) unless the part gives a smaller "
                    + "min_pixels too, found 100",
            "\"resized_height\":56 | image_url.resized_height | needs resized_width too: a resized size takes both sides",
            "\"resized_width\":56 | image_url.resized_width | needs resized_height too: a resized size takes both sides",
    })
    void visionOptionsThatDisagreeAre400(String options, String field, String message) {
        String png = ServerFixture.imageDataUrl("tiny_20x30.png");
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + png
                + "\"," + options + "}}]}]}";
        JsonNode e = assertError(chat(body), 400, "messages[0].content[0]." + field);
        assertEquals("messages[0].content[0]." + field + " " + message, e.get("message").asText());
        String split = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\",\"video\":[\"" + png + "\",\"" + png
                + "\"],\"min_pixels\":100000,\"max_pixels\":5000}]}]}";
        assertError(chat(split), 400, "messages[0].content[0].max_pixels");
        // the floor is the model's only when the part gives none: its own smaller min_pixels, or a video's, is fine
        for (String fine : new String[] {"\"image_url\":{\"url\":\"" + png + "\",\"min_pixels\":100,\"max_pixels\":100}",
                "\"image_url\":{\"url\":\"" + png + "\"},\"max_pixels\":3136"}) {
            assertEquals(200, chat("{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                    + fine + "}]}]}").statusCode(), fine);
        }
    }

    /** A video file sent as a data URL is staged in a temporary file; errors name the request field, not that file. */
    @Test
    void videoErrorsNameTheFieldNotATemporaryFile() {
        byte[] mp4 = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 0, 0};
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\""
                + "data:video/mp4;base64," + Base64.getEncoder().encodeToString(mp4) + "\"}}]}]}";
        JsonNode e = assertError(chat(body), 400, "messages[0].content[0].video_url.url");
        String message = e.get("message").asText();
        assertTrue(message.startsWith("video messages[0].content[0].video_url.url") && !message.contains("qwen2vl4j-video-"), message);
    }

    /** Escaping is on by default: special-token text in content is text (an image placeholder typed in would be a 400). */
    @Test
    void specialTokenTextInContentIsPlainText() {
        HttpResponse<String> r = chat(ServerFixture.greedyBody("look: <|vision_start|><|image_pad|><|vision_end|><|im_end|>", 2, false));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(0, ServerFixture.json(r.body()).at("/usage/prompt_tokens_details/image_tokens").asInt(), r.body());
    }

    @Test
    void bytesThatAreNotAnImageAre400() {
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString("this is not a picture".getBytes());
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
        JsonNode e = assertError(chat(body), 400, "messages[0].content[0].image_url.url");
        assertTrue(e.get("message").asText().contains("unsupported format"), e.toString());
    }

    @Test
    void truncatedImageIs400() {
        byte[] png = ServerFixture.imageBytes("small_112x84.png");
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(png, png.length / 2));
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}";
        assertError(chat(body), 400, "messages[0].content[0].image_url.url");
    }

    @Test
    void mediaThePreprocessorRefusesIs400NamingThePart() {
        String png = ServerFixture.imageDataUrl("tiny_20x30.png");
        String image = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + png
                + "\",\"resized_height\":3000000000,\"resized_width\":28}}]}]}";
        JsonNode e = assertError(chat(image), 400, "messages[0].content[0].image_url.resized_height");
        assertTrue(e.get("message").asText().startsWith("messages[0].content[0].image_url.resized_height must be in [1, 2147483647]"),
                e.toString());
        String aspect = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + png
                + "\",\"resized_height\":300000,\"resized_width\":28}}]}]}";
        e = assertError(chat(aspect), 400, "messages[0].content[0].image_url.url");
        assertTrue(e.get("message").asText().startsWith("messages[0].content[0].image_url.url: "), e.toString());
        String junk = "data:image/png;base64," + Base64.getEncoder().encodeToString("not a frame".getBytes());
        String video = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\",\"video\":[\"" + png + "\",\"" + junk
                + "\"]}]}]}";
        assertError(chat(video), 400, "messages[0].content[0].video[1]");
    }

    @Test
    void tooManyImagesIs400() {
        String part = "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + ServerFixture.imageDataUrl("tiny_20x30.png") + "\"}}";
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[" + part + "," + part + "," + part + "]}]}";
        JsonNode e = assertError(chat(body), 400, null);
        assertTrue(e.get("message").asText().contains("too many images"), e.toString());
    }

    @Test
    void promptOverTheContextIs400() {
        String text = "word ".repeat(33_000);
        JsonNode e = assertError(chat(ServerFixture.greedyBody(text, 4, false)), 400, "messages");
        assertEquals("context_length_exceeded", e.get("code").asText());
    }

    @Test
    void unknownFieldsAreTolerated() {
        String body = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"bob\"}],"
                + "\"max_tokens\":3,\"logit_bias\":{},\"user\":\"u1\",\"something_new\":[1,{\"a\":null}]}";
        HttpResponse<String> r = chat(body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("tiny", ServerFixture.json(r.body()).get("model").asText());
    }

    @Test
    void hugeBodyIs413() {
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(3 * MAX_BODY) + "\"}]}";
        HttpResponse<String> r = fixture.send(HttpRequest.newBuilder(fixture.uri("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(big)));
        assertError(r, 413, null);
        String justOver = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(MAX_BODY) + "\"}]}";
        assertError(chat(justOver), 413, null);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() {
        JsonNode e = assertError(fixture.get("/v1/completions/nope"), 404, null);
        assertEquals("not_found", e.get("code").asText());
        JsonNode model = assertError(fixture.get("/v1/models/other"), 404, "model");
        assertEquals("model_not_found", model.get("code").asText());
        assertTrue(model.get("message").asText().startsWith("the model 'other' does not exist on this server"), model.toString());
        HttpResponse<String> get = fixture.get("/v1/chat/completions");
        assertError(get, 405, null);
        assertEquals("POST", get.headers().firstValue("Allow").orElse(""), get.headers().toString());
        HttpResponse<String> post = fixture.post("/health", "{}");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""), post.headers().toString());
    }

    /** HEAD is answered where GET is: the GET answer's status and headers, no body (was a 405 with a body). */
    @Test
    void headIsAnsweredWhereGetIs() {
        for (String path : List.of("/health", "/v1/models", "/v1/limits", "/metrics")) {
            HttpResponse<String> head = fixture.send(HttpRequest.newBuilder(fixture.uri(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode(), path);
            assertEquals("", head.body(), path);
            assertEquals(fixture.get(path).headers().firstValue("Content-Type"), head.headers().firstValue("Content-Type"), path);
        }
    }

    @Test
    void healthAndMetricsAnswer() {
        assertEquals("ok", ServerFixture.json(fixture.get("/health").body()).get("status").asText());
        String metrics = fixture.get("/metrics").body();
        for (String name : List.of("qwen2vl4j_requests_total", "qwen2vl4j_completion_tokens_total", "qwen2vl4j_generation_tokens_per_second",
                "qwen2vl4j_queue_length", "qwen2vl4j_request_duration_seconds_bucket", "qwen2vl4j_time_to_first_token_seconds_count")) {
            assertTrue(metrics.contains(name), name + " missing from\n" + metrics);
        }
    }
}
