package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.server.OpenAiServer;
import qwen2vl4j.server.ServerOptions;

/**
 * The server with the video module, as {@code serve} runs it: a video file sent as a data URL is decoded by FFmpeg
 * and answered; one still being decoded at the request's time limit is refused with a 408 naming that limit.
 */
class ServeVideoFileTest {
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolve("models/tiny-qwen2vl");
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Qwen2VL model;
    static String body;

    @BeforeAll
    static void setUp() throws Exception {
        model = Qwen2VL.load(TINY, LoadOptions.defaults());
        // 240 frames at 15 fps: 16 s, sampled at 2 fps to 32 frames, the last one frame 239
        byte[] video = Files.readAllBytes(VideoInfoCommandTest.writeWebm(dir, 240));
        String url = "data:video/webm;base64," + Base64.getEncoder().encodeToString(video);
        body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\"" + url + "\"}},"
                + "{\"type\":\"text\",\"text\":\"Describe.\"}]}],\"max_tokens\":2,\"temperature\":0}";
    }

    @AfterAll
    static void tearDown() {
        if (model != null) model.close();
    }

    static HttpResponse<String> post(ServerOptions options) throws Exception {
        try (OpenAiServer server = OpenAiServer.start(model, options)) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aVideoFileIsAnswered() throws Exception {
        HttpResponse<String> r = post(ServerOptions.builder().host("127.0.0.1").port(0).build());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).at("/usage/prompt_tokens_details/video_tokens").asInt() > 0, r.body());
    }

    @Test
    void aVideoStillDecodingAtTheTimeLimitIs408() throws Exception {
        HttpResponse<String> r = post(ServerOptions.builder().host("127.0.0.1").port(0).requestTimeout(Duration.ofMillis(1)).build());
        assertEquals(408, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertTrue(error.get("message").asText().matches("the request's video was still being decoded \\(frame \\d+ of 240\\) at its "
                + "time limit of 0 s \\(the server's --request-timeout\\)"), r.body());
    }
}
