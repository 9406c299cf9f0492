package qwen2vl4j.spark;

import java.util.ArrayDeque;
import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import qwen2vl4j.chat.MediaSource;

/**
 * The engine as a {@code Dataset<Row>.mapPartitions} function: each input row keeps its columns and gains the
 * {@link ResultSchema#RESULT} struct as {@code outputCol}. The image column holds encoded image bytes (the
 * {@code content} column of {@code spark.read.format("binaryFile")}) or a path / URI string; the prompt is a column or
 * a fixed text. {@link Qwen2VLTransformer} is this function as a Spark ML stage.
 *
 * <pre>{@code
 * RowGenerator f = new RowGenerator(new PartitionGenerator(ModelSpec.of(model), Decoding.greedy(64), 4),
 *         images.schema(), "content", "path", null, "Describe this image.", "answer");
 * Dataset<Row> answers = images.mapPartitions(f, f.encoder());
 * }</pre>
 */
public final class RowGenerator implements MapPartitionsFunction<Row, Row> {
    private final PartitionGenerator generator;
    private final StructType outputSchema;
    private final int imageIndex;
    private final int pathIndex;
    private final int promptIndex;
    private final String imageCol;
    private final String promptCol;
    private final String prompt;

    /**
     * @param inputSchema the schema of the rows this function will see
     * @param imageCol    binary (encoded image) or string (path or URI) column
     * @param pathCol     string column naming the row in errors (e.g. {@code path}); null or absent: the row's position
     * @param promptCol   string column holding each row's prompt; null to use {@code prompt} for every row
     * @param prompt      the prompt of every row when {@code promptCol} is null
     * @param outputCol   the result struct's column
     * @throws IllegalArgumentException naming the column that is missing or of the wrong type
     */
    public RowGenerator(PartitionGenerator generator, StructType inputSchema, String imageCol, String pathCol,
                        String promptCol, String prompt, String outputCol) {
        if (generator == null) throw new IllegalArgumentException("generator must be given");
        this.generator = generator;
        this.imageCol = imageCol;
        this.promptCol = promptCol == null || promptCol.isEmpty() ? null : promptCol;
        this.prompt = prompt;
        this.imageIndex = column(inputSchema, "imageCol", imageCol, true);
        this.pathIndex = pathCol == null || pathCol.isEmpty() || !has(inputSchema, pathCol) ? -1 : column(inputSchema, "pathCol", pathCol, false);
        this.promptIndex = this.promptCol == null ? -1 : column(inputSchema, "promptCol", this.promptCol, false);
        if (this.promptCol == null && (prompt == null || prompt.isEmpty())) {
            throw new IllegalArgumentException("either promptCol or a non-empty prompt must be set");
        }
        this.outputSchema = ResultSchema.withResult(inputSchema, outputCol);
    }

    /** The schema of the rows this function returns: the input's columns and the result struct. */
    public StructType outputSchema() {
        return outputSchema;
    }

    /** The encoder of {@link #outputSchema()}, for {@code mapPartitions}. */
    public Encoder<Row> encoder() {
        return Encoders.row(outputSchema);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TaskContext task = TaskContext.get();
        String partition = task == null ? "" : " of partition " + task.partitionId();
        ArrayDeque<Row> inFlight = new ArrayDeque<>();
        Iterator<RowRequest> requests = new Iterator<>() {
            long index;

            @Override
            public boolean hasNext() {
                return input.hasNext();
            }

            @Override
            public RowRequest next() {
                Row row = input.next();
                inFlight.add(row);
                return request(row, "row " + index++ + partition);
            }
        };
        PartitionRun run = generator.apply(requests);
        if (task != null) task.addTaskCompletionListener((TaskContext t) -> run.close());
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return run.hasNext();
            }

            @Override
            public Row next() {
                RowResult result = run.next();
                Row in = inFlight.poll();
                Object[] values = new Object[in.size() + 1];
                for (int i = 0; i < in.size(); i++) values[i] = in.get(i);
                values[in.size()] = ResultSchema.toRow(result);
                return RowFactory.create(values);
            }
        };
    }

    private RowRequest request(Row row, String position) {
        String name = pathIndex >= 0 && !row.isNullAt(pathIndex) ? row.getString(pathIndex) : position;
        String text = prompt;
        if (promptIndex >= 0) {
            if (row.isNullAt(promptIndex)) return RowRequest.invalid(name, "prompt column '" + promptCol + "' is null");
            text = row.getString(promptIndex);
        }
        if (row.isNullAt(imageIndex)) return RowRequest.invalid(name, "image column '" + imageCol + "' is null");
        Object image = row.get(imageIndex);
        MediaSource source;
        if (image instanceof byte[] bytes) {
            source = new MediaSource.BytesSource(bytes, name);
        } else {
            try {
                source = MediaSource.of((String) image);
            } catch (RuntimeException e) {
                return RowRequest.invalid(name, "image column '" + imageCol + "' holds \"" + image + "\", not a path or URI: " + e.getMessage());
            }
        }
        return RowRequest.of(name, source, text);
    }

    private static boolean has(StructType schema, String name) {
        return java.util.List.of(schema.fieldNames()).contains(name);
    }

    private static int column(StructType schema, String param, String name, boolean binaryAllowed) {
        if (name == null || !has(schema, name)) {
            throw new IllegalArgumentException(param + " '" + name + "' is not a column of the input (columns "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        DataType type = schema.apply(name).dataType();
        if (!(type instanceof StringType) && !(binaryAllowed && type instanceof BinaryType)) {
            throw new IllegalArgumentException(param + " '" + name + "' has type " + type.simpleString() + "; it must be "
                    + (binaryAllowed ? "binary (image bytes) or string (a path or URI)" : "string"));
        }
        return schema.fieldIndex(name);
    }
}
