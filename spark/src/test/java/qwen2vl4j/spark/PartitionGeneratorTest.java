package qwen2vl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;

/** The engine as a plain function over an iterator, without Spark. */
class PartitionGeneratorTest {
    @Test
    void answersEveryRowInInputOrderWithErrorsInPlace() {
        ModelSpec spec = ModelSpec.of(SparkFixture.tinyModel());
        Qwen2VL model = ExecutorModels.model(spec);
        List<String> names = List.of("small_112x84.png", "tiny_20x30.png", "exact_224x224.png", "odd_171x129.png", "small_112x84.png");
        List<RowRequest> rows = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            rows.add(RowRequest.of("row " + i, new MediaSource.FileSource(SparkFixture.image(names.get(i))), "Describe."));
            if (i == 1) rows.add(RowRequest.of("the missing one", MediaSource.of("/nonexistent/x.png"), "Describe."));
            if (i == 3) rows.add(RowRequest.invalid("the invalid one", "no image"));
        }
        List<RowResult> results = new ArrayList<>();
        try (PartitionRun run = new PartitionGenerator(spec, Decoding.greedy(5), 3).apply(rows.iterator())) {
            run.forEachRemaining(results::add);
            assertFalse(run.hasNext());
        }
        assertEquals(rows.size(), results.size());
        int image = 0;
        for (int i = 0; i < rows.size(); i++) {
            RowResult r = results.get(i);
            String name = rows.get(i).name();
            if (name.startsWith("row ")) {
                assertNull(r.error(), name);
                var messages = List.of(new Message("user", List.of(
                        new ContentPart.Image(new MediaSource.FileSource(SparkFixture.image(names.get(image++)))), new ContentPart.Text("Describe."))));
                assertEquals(model.generate(messages, Decoding.greedy(5).params(model), null).text(), r.text(), name);
            } else {
                assertTrue(r.error().startsWith(name + ": "), r.error());
            }
        }
        assertTrue(results.get(2).error().contains("/nonexistent/x.png"), results.get(2).error());
        assertEquals("the invalid one: no image", results.get(5).error());
    }

    @Test
    void settingsOutOfRangeAreNamed() {
        ModelSpec spec = ModelSpec.of(SparkFixture.tinyModel());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new PartitionGenerator(spec, Decoding.greedy(5), 0))
                .getMessage().contains("sessions must be in [1, 256]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Decoding.greedy(0)).getMessage().contains("maxTokens"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec("m", "q9", "f32", 0, 0, 0))
                .getMessage().contains("q9"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec(" ", "bf16", "f32", 0, 0, 0))
                .getMessage().contains("model"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ModelSpec("m", "bf16", "f32", 0, 0, 0, "fp8"))
                .getMessage().contains("'fp8' (allowed: f32, bf16)"));
        assertEquals(qwen2vl4j.io.Precision.BF16, new ModelSpec("m", "bf16", "f32", 0, 0, 0, "bf16").loadOptions().precision());
        assertEquals(qwen2vl4j.io.Precision.F32, ModelSpec.of("m").loadOptions().precision());
    }
}
