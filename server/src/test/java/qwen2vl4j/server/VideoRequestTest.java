package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;

/** Video as a list of frame data URLs, and qwen-vl-utils style image parts with per-part pixel limits. */
class VideoRequestTest {
    @Test
    void videoFramesAnswerAsLibrary() throws Exception {
        Path folder = ServerFixture.fixtures().resolve("videos/moving_8x168x224");
        List<MediaSource> frames = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path frame = folder.resolve("frame_00" + i + ".png");
            frames.add(new MediaSource.FileSource(frame));
            urls.add(ServerFixture.quote("data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(frame))));
        }
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\",\"video\":" + urls + ",\"max_pixels\":20000},"
                + "{\"type\":\"text\",\"text\":\"What happens?\"}]}],\"temperature\":0,\"max_tokens\":6,\"ignore_eos\":true}";
        GenerationResult expected = ServerFixture.expected(List.of(new Message("user", List.of(
                new ContentPart.Video(frames, Map.of("max_pixels", 20000)), new ContentPart.Text("What happens?")))), 6);
        try (ServerFixture f = new ServerFixture(ServerOptions.builder())) {
            HttpResponse<String> r = f.post("/v1/chat/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode json = ServerFixture.json(r.body());
            assertEquals(expected.text(), json.at("/choices/0/message/content").asText());
            assertTrue(expected.usage().videoTokens() > 0);
            assertEquals(expected.usage().videoTokens(), json.at("/usage/prompt_tokens_details/video_tokens").asInt());
            assertEquals(expected.usage().promptTokens(), json.at("/usage/prompt_tokens").asInt());

            String image = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"image\":"
                    + ServerFixture.quote(ServerFixture.imageDataUrl("gradient_640x480.png")) + ",\"max_pixels\":50000},"
                    + "{\"type\":\"text\",\"text\":\"Describe.\"}]}],\"temperature\":0,\"max_tokens\":5,\"ignore_eos\":true}";
            GenerationResult expectedImage = ServerFixture.expected(List.of(new Message("user", List.of(
                    new ContentPart.Image(new MediaSource.BytesSource(ServerFixture.imageBytes("gradient_640x480.png"), "g"),
                            Map.of("max_pixels", 50000)),
                    new ContentPart.Text("Describe.")))), 5);
            HttpResponse<String> ri = f.post("/v1/chat/completions", image);
            assertEquals(200, ri.statusCode(), ri.body());
            assertEquals(expectedImage.text(), ServerFixture.answerText(ri.body()));
            assertEquals(expectedImage.usage().imageTokens(), ServerFixture.json(ri.body()).at("/usage/prompt_tokens_details/image_tokens").asInt());
            assertTrue(expectedImage.usage().imageTokens() <= 50000 / (28 * 28) + 1, "max_pixels bounds the image tokens");
        }
    }

    @Test
    void anAnimatedGifAsOneDataUrlAnswersAsLibrary() throws Exception {
        byte[] gif = gif(ServerFixture.fixtures().resolve("videos/moving_8x168x224"), 4);
        String url = "data:image/gif;base64," + Base64.getEncoder().encodeToString(gif);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":"
                + ServerFixture.quote(url) + "}},{\"type\":\"text\",\"text\":\"What happens?\"}]}],"
                + "\"temperature\":0,\"max_tokens\":6,\"ignore_eos\":true}";
        GenerationResult expected = ServerFixture.expected(List.of(new Message("user", List.of(
                new ContentPart.Video(List.of(new MediaSource.BytesSource(gif, "clip.gif")), Map.of()),
                new ContentPart.Text("What happens?")))), 6);
        assertTrue(expected.usage().videoTokens() > 0);
        try (ServerFixture f = new ServerFixture(ServerOptions.builder())) {
            HttpResponse<String> r = f.post("/v1/chat/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode json = ServerFixture.json(r.body());
            assertEquals(expected.text(), json.at("/choices/0/message/content").asText());
            assertEquals(expected.usage().videoTokens(), json.at("/usage/prompt_tokens_details/video_tokens").asInt());
            assertEquals(expected.usage().promptTokens(), json.at("/usage/prompt_tokens").asInt());
        }
    }

    /** The first {@code n} frames of a fixture video as one animated GIF (no frame delays: 10 fps). */
    static byte[] gif(Path folder, int n) throws Exception {
        List<BufferedImage> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) frames.add(ImageIO.read(folder.resolve("frame_00" + i + ".png").toFile()));
        return gif(frames);
    }

    /** {@code frames} as one animated GIF (no frame delays: 10 fps). */
    static byte[] gif(List<BufferedImage> frames) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.prepareWriteSequence(null);
            for (BufferedImage frame : frames) writer.writeToSequence(new IIOImage(frame, null, null), null);
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
