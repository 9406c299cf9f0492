package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.exception.InvalidRequestException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.server.MediaFetcher;

/** LangChain4j messages into the library's, media by media; remote media fetched only when asked to, with the server's rules. */
class MessageConverterTest {
    private static final RequestParameters.Pixels NO_PIXELS = new RequestParameters.Pixels(null, null);

    @Test
    void messagesAndMediaSourcesConvertWithoutARoundTrip() throws Exception {
        Path png = TinyModel.image("tiny_20x30.png");
        byte[] bytes = Files.readAllBytes(png);
        String base64 = Base64.getEncoder().encodeToString(bytes);
        MessageConverter converter = new MessageConverter(null, false);
        MessageConverter.Converted c = converter.convert(List.of(
                SystemMessage.from("Be brief."),
                UserMessage.from("Hi"),
                AiMessage.from("Hello."),
                UserMessage.from(TextContent.from("Compare"), ImageContent.from(png.toUri(), ImageContent.DetailLevel.HIGH),
                        ImageContent.from(base64, "image/png"), ImageContent.from("data:image/png;base64," + base64),
                        VideoContent.from(TinyModel.fixtures().resolve("videos/odd_5x112x140").toUri()))), NO_PIXELS);
        List<Message> m = c.messages();
        assertEquals(List.of(Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello.")), m.subList(0, 3));
        List<ContentPart> parts = m.get(3).content();
        assertEquals(new ContentPart.Text("Compare"), parts.get(0));
        ContentPart.Image file = assertInstanceOf(ContentPart.Image.class, parts.get(1));
        assertEquals(new MediaSource.FileSource(png), file.source());
        assertEquals(Map.of("max_pixels", PixelBudget.HIGH_MAX_PIXELS), file.options());
        for (int i = 2; i <= 3; i++) {
            ContentPart.Image image = assertInstanceOf(ContentPart.Image.class, parts.get(i));
            MediaSource.BytesSource source = assertInstanceOf(MediaSource.BytesSource.class, image.source());
            assertArrayEquals(bytes, source.bytes());
            assertEquals("messages[3].contents[" + i + "]", source.name());
            assertEquals(Map.of("max_pixels", PixelBudget.LOW_MAX_PIXELS), image.options());
        }
        assertInstanceOf(ContentPart.Video.class, parts.get(4));
        assertSame(file.source(), c.firstImage());
        assertSame(c, converter.fetchRemote(c), "nothing to fetch");
    }

    @Test
    void remoteMediaAreFetchedLaterAndOnlyWhenAllowed() throws Exception {
        byte[] bytes = Files.readAllBytes(TinyModel.image("tiny_20x30.png"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int[] requests = {0};
        server.createContext("/cat.png", exchange -> {
            requests[0]++;
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/cat.png";
            MediaFetcher loopbackAllowed = new MediaFetcher(true, 1 << 20, Duration.ofSeconds(10), address -> true);
            MessageConverter converter = new MessageConverter(loopbackAllowed, true);
            MessageConverter.Converted c = converter.convert(List.of(UserMessage.from(TextContent.from("Describe"), ImageContent.from(url))), NO_PIXELS);
            assertEquals(0, requests[0], "converting downloads nothing");
            assertEquals(1, c.remote().size());

            MessageConverter.Converted fetched = converter.fetchRemote(c);
            assertEquals(1, requests[0]);
            ContentPart.Image image = assertInstanceOf(ContentPart.Image.class, fetched.messages().get(0).content().get(1));
            MediaSource.BytesSource source = assertInstanceOf(MediaSource.BytesSource.class, image.source());
            assertArrayEquals(bytes, source.bytes());
            assertEquals("messages[0].contents[1]", source.name());
            assertSame(source, fetched.firstImage(), "boxes are measured on the fetched image");

            MessageConverter small = new MessageConverter(new MediaFetcher(true, 10, Duration.ofSeconds(10), address -> true), true);
            InvalidRequestException tooLarge = assertThrows(InvalidRequestException.class, () -> small.fetchRemote(
                    small.convert(List.of(UserMessage.from(TextContent.from("Describe"), ImageContent.from(url))), NO_PIXELS)));
            assertTrue(tooLarge.getMessage().contains("messages[0].contents[1]: " + url + " is larger than 10 bytes"), tooLarge.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
