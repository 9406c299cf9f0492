package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.generate.GenerationProgress.Stage;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.preprocess.ImageDecoderTest;

/**
 * Pixel and frame budgets given at load time become the defaults of parts without their own (a part's fields
 * win, no flag keeps the reference), and {@link GenerationProgress} hears the vision encode and a long prefill.
 */
class BudgetsAndProgressTest {
    private static Qwen2VL reference;

    @BeforeAll
    static void load() {
        reference = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    private static Message image(Map<String, Object> options) {
        return new Message("user", List.of(new ContentPart.Image(MediaSource.of(Fixtures.file("images/exact_224x224.png").toString()), options),
                new ContentPart.Text("x")));
    }

    /** A 4-second animated GIF at 10 frames per second, 8x6 pixels. */
    private static Message video(Map<String, Object> options) throws Exception {
        int[] colours = new int[40];
        for (int i = 0; i < colours.length; i++) colours[i] = i * 6 << 8;
        byte[] gif = ImageDecoderTest.animatedGif(colours, 10);
        return new Message("user", List.of(new ContentPart.Video(List.of(new MediaSource.BytesSource(gif, "anim.gif")), options),
                new ContentPart.Text("x")));
    }

    private static int[] videoGrid(Qwen2VL model, Message m) {
        qwen2vl4j.preprocess.Grid g = model.processor().process(List.of(m), true, false).videos().grids().get(0);
        return new int[] {g.t(), g.h(), g.w()};
    }

    @Test
    void imageBudgetAtLoadIsTheDefaultAndAPartsOwnWins() {
        try (Qwen2VL small = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().maxPixels(112 * 112).build())) {
            assertEquals(64, reference.processor().process(List.of(image(Map.of())), true, false).imageTokens());
            assertEquals(16, small.processor().process(List.of(image(Map.of())), true, false).imageTokens());
            assertEquals(64, small.processor().process(List.of(image(Map.of("max_pixels", 224 * 224))), true, false).imageTokens());
            assertEquals(16, small.processor().withMaxImagePixels(1L << 26).process(List.of(image(Map.of())), true, false).imageTokens(),
                    "a server's stricter decoder keeps the budgets");
        }
    }

    @Test
    void videoDefaultsAtLoadApplyToPartsWithoutTheirOwn() throws Exception {
        // reference: 2 fps of 4 s = 8 frames (t = 4); 8x6 frames grow to qwen-vl-utils' per-frame minimum, 20x28 patches
        assertArrayEquals(new int[] {4, 20, 28}, videoGrid(reference, video(Map.of())));
        LoadOptions options = LoadOptions.builder().fps(4).videoMaxPixels(28 * 28 * 16).build();
        try (Qwen2VL budget = Qwen2VL.load(Fixtures.tinyModel(), options);
             Qwen2VL capped = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().fps(8).maxFrames(6).build())) {
            // 4 fps of 4 s = 16 frames (t = 8); a 12544-pixel frame budget (which lowers the frame minimum with it):
            // 8x6 grows by sqrt(12544 / 48) to 130x97, rounded up to 140x112, 10x8 patches
            assertArrayEquals(new int[] {8, 8, 10}, videoGrid(budget, video(Map.of())));
            assertArrayEquals(new int[] {2, 20, 28}, videoGrid(budget, video(Map.of("fps", 1.0, "max_pixels", 100352))),
                    "the part's fps and max_pixels win");
            assertEquals(3, videoGrid(capped, video(Map.of()))[0], "--max-frames 6");
            assertEquals(5, videoGrid(capped, video(Map.of("nframes", 10)))[0], "a part's nframes is used as given");
        }
    }

    @Test
    void outOfRangeVideoOptionsAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().maxFrames(1).build()).getMessage().contains("maxFrames"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().maxFrames(769).build()).getMessage().contains("[2, 768]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().fps(-1).build()).getMessage().contains("fps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().videoMaxPixels(-5).build()).getMessage().contains("videoMaxPixels"));
    }

    @Test
    void progressHearsEachVisionBlockAndEachPrefillPiece() {
        List<String> events = new ArrayList<>();
        String longText = "word ".repeat(700);
        Message m = new Message("user", List.of(new ContentPart.Image(MediaSource.of(Fixtures.file("images/exact_224x224.png").toString())),
                new ContentPart.Text(longText)));
        SamplingParams params = reference.defaultParams().toBuilder().greedy(true).maxNewTokens(2).build();
        var r = GenerationProgress.during((stage, done, total, tokens) -> events.add(stage + " " + done + "/" + total + " " + tokens),
                () -> reference.generate(List.of(m), params, null));
        int prompt = r.usage().promptTokens();
        assertTrue(prompt > 512 && prompt <= 1024, "prompt of " + prompt + " tokens");
        int depth = reference.config().vision().depth();
        List<String> expected = new ArrayList<>();
        for (int b = 0; b <= depth; b++) expected.add("VISION " + b + "/" + depth + " 64");
        expected.add("PREFILL 0/" + prompt + " " + prompt);
        expected.add("PREFILL 512/" + prompt + " " + prompt);
        expected.add("PREFILL " + prompt + "/" + prompt + " " + prompt);
        assertEquals(expected, events);
        events.clear();
        reference.generate(List.of(m), params, null);
        assertEquals(List.of(), events, "nothing reported outside during()");
        assertEquals(Stage.VISION, Stage.valueOf("VISION"));
    }

    /** A listener that throws ends the work where it is (what the server's time limit and disconnect check rely on). */
    @Test
    void aListenerThatThrowsStopsTheVisionTowerAfterThatBlock() {
        List<String> events = new ArrayList<>();
        Message m = new Message("user", List.of(new ContentPart.Image(MediaSource.of(Fixtures.file("images/exact_224x224.png").toString())),
                new ContentPart.Text("x")));
        SamplingParams params = reference.defaultParams().toBuilder().greedy(true).maxNewTokens(2).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GenerationProgress.during((stage, done, total, tokens) -> {
            events.add(stage + " " + done);
            if (stage == Stage.VISION && done == 1) throw new IllegalStateException("time is up");
        }, () -> reference.generate(List.of(m), params, null)));
        assertEquals("time is up", e.getMessage());
        assertEquals(List.of("VISION 0", "VISION 1"), events, "no block after the one that threw, no prefill");
    }
}
