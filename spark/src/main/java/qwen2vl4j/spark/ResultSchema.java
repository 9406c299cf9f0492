package qwen2vl4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import qwen2vl4j.grounding.Box;

/** The struct column a row's answer is written to, and the conversion of a {@link RowResult} into it. */
public final class ResultSchema {
    /** A grounding box in pixels of the original image: {@code label, x1, y1, x2, y2}. */
    public static final StructType BOX = new StructType(new StructField[] {
            DataTypes.createStructField("label", DataTypes.StringType, true),
            DataTypes.createStructField("x1", DataTypes.DoubleType, false),
            DataTypes.createStructField("y1", DataTypes.DoubleType, false),
            DataTypes.createStructField("x2", DataTypes.DoubleType, false),
            DataTypes.createStructField("y2", DataTypes.DoubleType, false)});

    /** {@code text, boxes, prompt_tokens, image_tokens, completion_tokens, finish_reason, error}. */
    public static final StructType RESULT = new StructType(new StructField[] {
            DataTypes.createStructField("text", DataTypes.StringType, true),
            DataTypes.createStructField("boxes", DataTypes.createArrayType(BOX, false), false),
            DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, false),
            DataTypes.createStructField("image_tokens", DataTypes.IntegerType, false),
            DataTypes.createStructField("completion_tokens", DataTypes.IntegerType, false),
            DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
            DataTypes.createStructField("error", DataTypes.StringType, true)});

    private ResultSchema() {}

    /** {@code input} with the result struct appended as {@code outputCol}. */
    public static StructType withResult(StructType input, String outputCol) {
        if (List.of(input.fieldNames()).contains(outputCol)) {
            throw new IllegalArgumentException("output column '" + outputCol + "' already exists in the input (columns "
                    + String.join(", ", input.fieldNames()) + "); choose another outputCol");
        }
        return input.add(DataTypes.createStructField(outputCol, RESULT, false));
    }

    /** The result struct's value for {@code r}. */
    public static Row toRow(RowResult r) {
        List<Row> boxes = new ArrayList<>(r.boxes().size());
        for (Box b : r.boxes()) boxes.add(RowFactory.create(b.label(), b.x1(), b.y1(), b.x2(), b.y2()));
        return RowFactory.create(r.text(), scala.jdk.javaapi.CollectionConverters.asScala(boxes).toSeq(), r.promptTokens(), r.imageTokens(), r.completionTokens(), r.finishReason(), r.error());
    }
}
