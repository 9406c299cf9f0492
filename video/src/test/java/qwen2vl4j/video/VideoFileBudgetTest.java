package qwen2vl4j.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.PromptTooLongException;
import qwen2vl4j.Qwen2VLProcessor;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * A video file's tokens are checked against the processor's budgets from its header, before a frame is decoded
 * (decoding every frame up to the last sampled one is the expensive part of a long video), with the count its
 * frames then make.
 */
class VideoFileBudgetTest {
    @TempDir
    static Path dir;
    static Qwen2VLProcessor processor;
    static byte[] clip;

    @BeforeAll
    static void setUp() throws Exception {
        String fixtures = System.getProperty("fixtures.dir");
        Path m = (fixtures != null ? Path.of(fixtures) : Path.of("..", "fixtures")).resolve("models/tiny-qwen2vl");
        processor = new Qwen2VLProcessor(ModelConfig.load(m), Tokenizer.load(m), ChatTemplate.load(m), PreprocessorConfig.load(m),
                new ImageDecoder());
        clip = Files.readAllBytes(TestVideos.write(dir, "clip", TestVideos.AVI_MPEG4, 20, 10));
    }

    static List<Message> ask(byte[] video, String name) {
        return List.of(new Message("user", List.of(new ContentPart.Video(List.of(new MediaSource.BytesSource(video, name)),
                Map.of("min_pixels", 200_000L)), new ContentPart.Text("Describe."))));
    }

    /** The clip cut right after its header: the header still gives 20 frames of 64x48, but no frame decodes. */
    static byte[] headerOnly() {
        int movi = new String(clip, StandardCharsets.ISO_8859_1).indexOf("movi");
        assertTrue(movi > 0, "the AVI has a movi list");
        return Arrays.copyOf(clip, movi + 4);
    }

    @Test
    void theHeadersCountIsTheDecodedOne() {
        ModelInputs in = processor.process(ask(clip, "clip.avi"), true, false);
        assertTrue(in.videoTokens() > 0);
        PromptTooLongException e = assertThrows(PromptTooLongException.class,
                () -> processor.withMaxVisualTokens(in.videoTokens() - 1).process(ask(headerOnly(), "cut.avi"), true, false));
        assertTrue(e.isVisualLimit());
        assertEquals(in.videoTokens(), e.visualTokens(), e.getMessage());
    }

    @Test
    void aVideoOverTheBudgetIsRefusedBeforeItsFramesAreDecoded() {
        // within the budget the frames are decoded, and there are none
        MediaInputException decoded = assertThrows(MediaInputException.class, () -> processor.process(ask(headerOnly(), "cut.avi"), true, false));
        assertTrue(decoded.getMessage().contains("cut.avi has no decodable video frames"), decoded.getMessage());
        // over it, the header's count refuses the video first
        PromptTooLongException e = assertThrows(PromptTooLongException.class,
                () -> processor.withMaxVisualTokens(10).process(ask(headerOnly(), "cut.avi"), true, false));
        assertTrue(e.getMessage().contains("at most 10 are accepted"), e.getMessage());
    }
}
