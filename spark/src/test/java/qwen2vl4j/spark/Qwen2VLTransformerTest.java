package qwen2vl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;

class Qwen2VLTransformerTest {
    private static final String PROMPT = "Describe.";
    private static final int MAX_TOKENS = 6;
    private static final List<String> IMAGES = List.of("exact_224x224.png", "small_112x84.png", "odd_171x129.png",
            "gray_256x256.png", "tiny_20x30.png", "palette_200x150.png");

    private static Qwen2VLTransformer stage() {
        return new Qwen2VLTransformer().setModel(SparkFixture.tinyModel()).setPrompt(PROMPT).setMaxTokens(MAX_TOKENS).setBatchSize(3);
    }

    /** What the library answers for one image file (the model of this JVM, so no second load). */
    private static GenerationResult reference(Path image, String prompt) {
        Qwen2VL model = ExecutorModels.model(ModelSpec.of(SparkFixture.tinyModel()));
        List<Message> messages = List.of(new Message("user",
                List.of(new ContentPart.Image(new MediaSource.FileSource(image)), new ContentPart.Text(prompt))));
        return model.generate(messages, Decoding.greedy(MAX_TOKENS).params(model), null);
    }

    private static Dataset<Row> binaryImages(SparkSession spark, List<String> names, int partitions) {
        List<String> paths = new ArrayList<>();
        for (String n : names) paths.add(SparkFixture.image(n).toString());
        return spark.read().format("binaryFile").load(paths.toArray(new String[0])).repartition(partitions);
    }

    @Test
    void greedyAnswersEqualTheLibrarysAndTheModelLoadsOnceAndRowsDecodeInBatches() {
        SparkSession spark = SparkFixture.spark();
        Dataset<Row> out = stage().transform(binaryImages(spark, IMAGES, 2));
        List<Row> rows = out.select("path", "qwen2vl.*").collectAsList();
        assertEquals(IMAGES.size(), rows.size());
        for (Row r : rows) {
            Path path = Path.of(java.net.URI.create(r.getString(0)));
            GenerationResult expected = reference(path, PROMPT);
            assertNull(r.getAs("error"), "error of " + path);
            assertEquals(expected.text(), r.getAs("text"), "text of " + path);
            assertEquals(expected.usage().promptTokens(), (int) r.getAs("prompt_tokens"), "prompt_tokens of " + path);
            assertEquals(expected.usage().imageTokens(), (int) r.getAs("image_tokens"), "image_tokens of " + path);
            assertEquals(expected.ids().length, (int) r.getAs("completion_tokens"), "completion_tokens of " + path);
            assertEquals(expected.finishReason().openAiName(), r.getAs("finish_reason"));
        }
        // two partitions ran (in two task threads) and the library reference ran too: one load in this JVM
        assertEquals(1, ExecutorModels.loads(ModelSpec.of(SparkFixture.tinyModel())), "loads of the model in this JVM");
        assertTrue(ExecutorModels.largestBatch() >= 2, "largest decode batch " + ExecutorModels.largestBatch());
    }

    @Test
    void badRowsGetErrorsAndTheOthersAreAnswered(@TempDir Path tmp) throws Exception {
        SparkSession spark = SparkFixture.spark();
        Path corrupt = tmp.resolve("corrupt.png");
        Files.write(corrupt, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5});
        Path missing = tmp.resolve("missing.jpg");
        String good = SparkFixture.image("exact_224x224.png").toString();
        String longPrompt = "word ".repeat(33_000);
        StructType schema = new StructType().add("image", DataTypes.StringType).add("ask", DataTypes.StringType);
        List<Row> input = List.of(RowFactory.create(good, PROMPT), RowFactory.create(corrupt.toString(), PROMPT),
                RowFactory.create(missing.toString(), PROMPT), RowFactory.create(null, PROMPT),
                RowFactory.create(good, longPrompt), RowFactory.create(good, null), RowFactory.create(good, PROMPT));
        Dataset<Row> out = stage().setImageCol("image").setPromptCol("ask").setOutputCol("answer")
                .transform(spark.createDataFrame(input, schema).repartition(1));
        List<Row> rows = out.select("image", "ask", "answer.*").collectAsList();
        assertEquals(input.size(), rows.size());
        String expected = reference(Path.of(good), PROMPT).text();
        int answered = 0;
        List<String> errors = new ArrayList<>();
        for (Row r : rows) {
            String error = r.getAs("error");
            if (error == null) {
                assertEquals(expected, r.getAs("text"));
                answered++;
            } else {
                errors.add(error);
                assertNull(r.getAs("text"));
            }
        }
        assertEquals(2, answered, "answered rows; errors: " + errors);
        String all = String.join("\n", errors);
        assertTrue(all.contains(corrupt.toString()), all);
        assertTrue(all.contains(missing.toString()), all);
        assertTrue(all.contains("image column 'image' is null"), all);
        assertTrue(all.contains("prompt column 'ask' is null"), all);
        assertTrue(all.contains("exceeds the model's limit of 32768 tokens"), all);
    }

    @Test
    void aPipelineWithTheStageSavesAndLoads(@TempDir Path tmp) throws Exception {
        SparkSession spark = SparkFixture.spark();
        Qwen2VLTransformer stage = stage().setOutputCol("caption").setBatchSize(2).setWeights("bf16").setSeed(7);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {stage});
        Dataset<Row> images = binaryImages(spark, List.of("small_112x84.png"), 1);
        PipelineModel fitted = pipeline.fit(images);
        String dir = tmp.resolve("pipeline").toString();
        fitted.save(dir);
        PipelineModel loaded = PipelineModel.load(dir);
        Qwen2VLTransformer back = (Qwen2VLTransformer) loaded.stages()[0];
        assertEquals(stage.uid(), back.uid());
        assertEquals("caption", back.getOrDefault(back.outputCol()));
        assertEquals(2, back.getOrDefault(back.batchSize()));
        assertEquals(7L, back.getOrDefault(back.seed()));
        assertTrue(back.isSet(back.weights()));
        assertEquals(MAX_TOKENS, back.getOrDefault(back.maxTokens()));
        assertEquals(SparkFixture.tinyModel(), back.getOrDefault(back.model()));
        // the loaded stage works the same as the one saved
        List<String> a = loaded.transform(images).select("caption.text").as(Encoders.STRING()).collectAsList();
        List<String> b = stage.transform(images).select("caption.text").as(Encoders.STRING()).collectAsList();
        assertEquals(b, a);
        assertNotNull(a.get(0));
    }
}
