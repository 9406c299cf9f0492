package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageDecoderTest;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.VisionOptions;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Bounded work before work in the processor every front end uses: per-part pixel budgets refused past the
 * processor's own limit with the option and its range, and the visual tokens of a prompt counted from the headers and
 * checked against the context and the visual-token limit before any pixel is decoded.
 */
class ProcessorBudgetTest {
    static Qwen2VLProcessor processor;

    @BeforeAll
    static void processor() {
        Path m = Fixtures.tinyModel();
        processor = new Qwen2VLProcessor(ModelConfig.load(m), Tokenizer.load(m), ChatTemplate.load(m), PreprocessorConfig.load(m),
                new ImageDecoder());
    }

    static byte[] image(String name) throws Exception {
        return Files.readAllBytes(Fixtures.dir().resolve("images").resolve(name));
    }

    static Message user(List<ContentPart> media) {
        List<ContentPart> parts = new ArrayList<>(media);
        parts.add(new ContentPart.Text("Describe."));
        return new Message("user", parts);
    }

    static ContentPart.Image image(byte[] bytes, Map<String, Object> options) {
        return new ContentPart.Image(new MediaSource.BytesSource(bytes, "part"), options);
    }

    /** Was a NegativeArraySizeException (a 4e9-pixel resize), the CLI printing "qwen2vl4j: -877671408". */
    @Test
    void minPixelsAboveTheProcessorsMaxIsRefusedNamingThePartAndRange() throws Exception {
        byte[] tiny = image("tiny_20x30.png");
        for (long min : List.of(4_000_000_000L, 400_000_000L, 12_845_057L)) {
            MediaInputException e = assertThrows(MediaInputException.class,
                    () -> processor.process(List.of(user(List.of(image(tiny, Map.of("min_pixels", min))))), true, false));
            assertEquals("part", e.source());
            assertTrue(e.getMessage().contains("min_pixels must be in [1, 12845056]"), e.getMessage());
            ContentPart.Video video = new ContentPart.Video(List.of(new MediaSource.BytesSource(tiny, "part"),
                    new MediaSource.BytesSource(tiny, "frame 2")), Map.of("min_pixels", min));
            MediaInputException v = assertThrows(MediaInputException.class,
                    () -> processor.process(List.of(user(List.of(video))), true, false));
            assertTrue(v.getMessage().contains("min_pixels must be in [1, 12845056]"), v.getMessage());
        }
    }

    @Test
    void hugeResizedSizeNamesTheOption() throws Exception {
        MediaInputException e = assertThrows(MediaInputException.class, () -> processor.process(List.of(user(List.of(
                image(image("tiny_20x30.png"), Map.of("resized_height", 1L << 40, "resized_width", 28))))), true, false));
        assertTrue(e.getMessage().contains("resized_height must be in [1, 2147483647]"), e.getMessage());
    }

    /** The sixteen-image request that ran the heap out: refused from the headers (the pixel data here is corrupt). */
    @Test
    void promptOverTheContextIsRefusedFromTheHeadersBeforeDecoding() throws Exception {
        byte[] headerOnly = Arrays.copyOf(image("tiny_20x30.png"), 60);
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < 16; i++) parts.add(image(headerOnly, Map.of("min_pixels", 12_845_056L)));
        qwen2vl4j.text.ContextLimitException e = assertThrows(qwen2vl4j.text.ContextLimitException.class,
                () -> processor.process(List.of(user(parts)), true, false));
        assertEquals(32768, e.limit());
        assertTrue(e.requested() > 16 * 16000, e.getMessage());
        // the same images within the budget are decoded, and their corrupt data is reported
        assertThrows(MediaInputException.class, () -> processor.process(List.of(user(parts.subList(0, 1))), true, false));
    }

    @Test
    void visualTokenLimitCountsEveryImageAndVideoFrame() throws Exception {
        byte[] png = image("exact_224x224.png");                             // 64 tokens
        Qwen2VLProcessor limited = processor.withMaxVisualTokens(100);
        ModelInputs one = limited.process(List.of(user(List.of(image(png, Map.of())))), true, false);
        assertEquals(64, one.imageTokens());
        PromptTooLongException e = assertThrows(PromptTooLongException.class,
                () -> limited.process(List.of(user(List.of(image(png, Map.of()), image(png, Map.of())))), true, false));
        assertTrue(e.isVisualLimit());
        assertEquals(128, e.visualTokens());
        ContentPart.Video frames = new ContentPart.Video(List.of(new MediaSource.BytesSource(png, "f0"),
                new MediaSource.BytesSource(png, "f1"), new MediaSource.BytesSource(png, "f2")), Map.of());
        PromptTooLongException v = assertThrows(PromptTooLongException.class,
                () -> limited.process(List.of(user(List.of(frames))), true, false));
        assertEquals(128, v.visualTokens());                                 // 3 frames padded to 4: 2 temporal patches
        byte[] gif = ImageDecoderTest.animatedGif(new int[] {0xFF0000, 0x00FF00, 0x0000FF, 0x00FFFF, 0xFFFFFF, 0}, 25);
        ContentPart.Video clip = new ContentPart.Video(List.of(new MediaSource.BytesSource(gif, "clip")), Map.of("min_pixels", 12_845_056L));
        PromptTooLongException g = assertThrows(PromptTooLongException.class,
                () -> limited.process(List.of(user(List.of(clip))), true, false));
        assertTrue(g.visualTokens() > 16000, g.getMessage());
    }

    /** The counts made from the headers are exactly the tokens the pixels become. */
    @Test
    void plannedTokensMatchTheProcessedOnes() throws Exception {
        for (String name : List.of("tiny_20x30.png", "odd_171x129.png", "wide_1500x120.png", "photo_800x600.jpg")) {
            for (Map<String, Object> o : List.<Map<String, Object>>of(Map.of(), Map.of("min_pixels", 100_000L),
                    Map.of("max_pixels", 20_000L), Map.of("resized_height", 300L, "resized_width", 200L))) {
                byte[] bytes = image(name);
                ModelInputs in = processor.process(List.of(user(List.of(image(bytes, o)))), true, false);
                int[] wh = new ImageDecoder().size(bytes, name);
                long planned = new qwen2vl4j.preprocess.ImageProcessor(processor.preprocessor())
                        .tokenCount(wh[1], wh[0], VisionOptions.fromMap(o));
                assertEquals(in.imageTokens(), planned, name + " " + o);
            }
        }
    }
}
