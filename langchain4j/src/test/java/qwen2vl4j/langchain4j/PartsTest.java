package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.langchain4j.data.message.ImageContent.DetailLevel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.generate.FinishReason;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Timings;
import qwen2vl4j.generate.Usage;
import qwen2vl4j.grounding.Box;

/** The pieces: DetailLevel budgets, parameter merging, grounding boxes in pixels of the first image. */
class PartsTest {
    @Test
    void detailLevelsMapOntoPixelBudgets() {
        assertEquals(Map.of("max_pixels", 200_704L), PixelBudget.imageOptions(DetailLevel.LOW, null, null));
        assertEquals(Map.of("max_pixels", 401_408L), PixelBudget.imageOptions(DetailLevel.MEDIUM, null, null));
        assertEquals(Map.of("max_pixels", 1_003_520L), PixelBudget.imageOptions(DetailLevel.HIGH, null, null));
        assertEquals(Map.of("max_pixels", 12_845_056L), PixelBudget.imageOptions(DetailLevel.ULTRA_HIGH, null, null));
        assertEquals(Map.of(), PixelBudget.imageOptions(DetailLevel.AUTO, null, null));
        // explicit bounds replace the level's; a min alone lifts the level's max to itself
        assertEquals(Map.of("max_pixels", 50_000L), PixelBudget.imageOptions(DetailLevel.HIGH, null, 50_000L));
        assertEquals(Map.of("min_pixels", 300_000L, "max_pixels", 300_000L), PixelBudget.imageOptions(DetailLevel.LOW, 300_000L, null));
        assertEquals(Map.of("min_pixels", 1_000L, "max_pixels", 200_704L), PixelBudget.imageOptions(DetailLevel.LOW, 1_000L, null));
        assertEquals(Map.of("min_pixels", 1_000L), PixelBudget.imageOptions(DetailLevel.AUTO, 1_000L, null));
    }

    @Test
    void qwenParametersSurviveMergingWithPlainOnes() {
        Qwen2VLChatRequestParameters defaults = Qwen2VLChatRequestParameters.builder().temperature(0.0).maxPixels(1000L).seed(1L).build();
        ChatRequestParameters request = DefaultChatRequestParameters.builder().temperature(0.5).maxOutputTokens(9).build();
        Qwen2VLChatRequestParameters merged = assertInstanceOf(Qwen2VLChatRequestParameters.class, defaults.overrideWith(request));
        assertEquals(0.5, merged.temperature());
        assertEquals(9, merged.maxOutputTokens());
        assertEquals(1000L, merged.maxPixels());
        assertEquals(1L, merged.seed());
        // a plain default overridden by Qwen2-VL's own keeps both (LangChain4j delegates to the subtype)
        Qwen2VLChatRequestParameters other = assertInstanceOf(Qwen2VLChatRequestParameters.class,
                request.overrideWith(Qwen2VLChatRequestParameters.builder().repetitionPenalty(1.2).build()));
        assertEquals(0.5, other.temperature());
        assertEquals(1.2, other.repetitionPenalty());
        assertNull(other.seed());
        assertEquals(defaults, Qwen2VLChatRequestParameters.builder().overrideWith(defaults).build());
    }

    @Test
    void groundingBoxesAreInPixelsOfTheFirstImage() {
        try (Qwen2VLChatModel chat = Qwen2VLChatModel.builder().model(TinyModel.get()).build()) {
            Qwen2VLEngine engine = chat.engine();
            int[] ids = TinyModel.get().tokenizer().encode(
                    "<|object_ref_start|>the square<|object_ref_end|><|box_start|>(100,200),(500,750)<|box_end|>");
            GenerationResult answer = new GenerationResult(ids, "the square(100,200),(500,750)", FinishReason.STOP,
                    Usage.of(10, ids.length), Timings.of(1, 10, 1, ids.length));
            List<Box> boxes = engine.boxes(answer, new MediaSource.FileSource(TinyModel.image("odd_171x129.png")));
            assertEquals(List.of(new Box("the square", 17.1, 25.8, 85.5, 96.75)), boxes);
            assertEquals(List.of(new Box("the square", 100, 200, 500, 750)), engine.boxes(answer, null), "no image: the 0-1000 grid");
        }
    }
}
