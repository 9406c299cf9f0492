package qwen2vl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import qwen2vl4j.grounding.Box;

class ResultSchemaTest {
    @Test
    void boxesGoThroughTheStructColumnIntoJsonLines() {
        RowResult result = new RowResult("the cat", List.of(new Box("the cat", 10, 20.5, 110, 220), new Box(null, 0, 0, 1, 1)),
                90, 64, 12, "stop", null);
        StructType schema = ResultSchema.withResult(new StructType().add("path", "string"), "r");
        List<Row> rows = SparkFixture.spark().createDataFrame(List.of(RowFactory.create("a.png", ResultSchema.toRow(result))), schema)
                .select("path", "r.*").collectAsList();
        String line = new BatchSink.Jsonl(null).line(rows.get(0));
        assertEquals("{\"path\":\"a.png\",\"text\":\"the cat\",\"boxes\":[{\"label\":\"the cat\",\"x1\":10.0,\"y1\":20.5,\"x2\":110.0,\"y2\":220.0},"
                + "{\"label\":null,\"x1\":0.0,\"y1\":0.0,\"x2\":1.0,\"y2\":1.0}],\"prompt_tokens\":90,\"image_tokens\":64,"
                + "\"completion_tokens\":12,\"finish_reason\":\"stop\",\"error\":null}", line);
    }

    @Test
    void anOutputColumnThatExistsIsRefusedByName() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ResultSchema.withResult(new StructType().add("path", "string").add("qwen2vl", "string"), "qwen2vl"));
        assertTrue(e.getMessage().contains("output column 'qwen2vl' already exists"), e.getMessage());
    }
}
