package qwen2vl4j.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Where {@code batch} writes its rows ({@code path, text, boxes, prompt_tokens, image_tokens, completion_tokens,
 * finish_reason, error}): a JSON Lines file, a Parquet folder, or standard output. A file or folder that exists is
 * appended to, and the paths it already holds are not run again (resume).
 */
abstract class BatchSink {
    /** The flat row schema of the output. */
    static final StructType SCHEMA = flatSchema();

    private static StructType flatSchema() {
        StructType s = new StructType().add("path", DataTypes.StringType, false);
        for (var f : ResultSchema.RESULT.fields()) s = s.add(f);
        return s;
    }

    /** The paths already answered in the output. */
    abstract Set<String> answered();

    /** Appends {@code rows} (in {@link #SCHEMA}) and makes them durable. */
    abstract void append(List<Row> rows);

    /** Checks, before Spark starts, that {@code out} names a sink whose folder exists. */
    static void checkWritable(String out) {
        if (out == null || out.equals("-")) return;
        open(out, null);   // the name's form
        if (out.contains("://")) return;   // a Parquet folder on another file system
        Path parent = Path.of(out).toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--out " + out + ": folder " + parent + " does not exist");
        }
    }

    static BatchSink open(String out, SparkSession spark) {
        if (out == null || out.equals("-")) return new Jsonl(null);
        if (out.endsWith(".jsonl") || out.endsWith(".json")) return new Jsonl(Path.of(out));
        if (out.endsWith(".parquet")) return new Parquet(out, spark);
        throw new IllegalArgumentException("--out " + out + ": give a .jsonl file, a .parquet folder, or - for standard output");
    }

    /** One JSON object per line, keys in the documented order, nulls written. */
    static final class Jsonl extends BatchSink {
        private final Path file;
        private final ObjectMapper json = new ObjectMapper();

        Jsonl(Path file) {
            this.file = file;
        }

        @Override
        Set<String> answered() {
            Set<String> done = new HashSet<>();
            if (file == null || !Files.exists(file)) return done;
            try {
                dropPartialLastLine();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    JsonNode node = json.readTree(line);
                    if (node.path("path").isTextual()) done.add(node.get("path").asText());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("--out " + file + ": cannot read the rows already answered: " + e.getMessage(), e);
            }
            return done;
        }

        /** A run killed while writing may leave half a line: cut it, so that the row runs again. */
        private void dropPartialLastLine() throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                long end = f.length();
                long keep = end;
                while (keep > 0) {
                    f.seek(keep - 1);
                    if (f.read() == '\n') break;
                    keep--;
                }
                if (keep < end) f.setLength(keep);
            }
        }

        @Override
        void append(List<Row> rows) {
            StringBuilder sb = new StringBuilder();
            for (Row r : rows) sb.append(line(r)).append('\n');
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            try {
                if (file == null) {
                    PrintStream outStream = System.out;
                    outStream.write(bytes);
                    outStream.flush();
                } else {
                    try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                            StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
                        o.write(bytes);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("--out " + file + ": " + e.getMessage(), e);
            }
        }

        String line(Row r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", r.getAs("path"));
            m.put("text", r.getAs("text"));
            List<Map<String, Object>> boxes = new ArrayList<>();
            List<Row> rowBoxes = r.getList(r.fieldIndex("boxes"));
            for (Row b : rowBoxes) {
                Map<String, Object> box = new LinkedHashMap<>();
                for (String k : List.of("label", "x1", "y1", "x2", "y2")) box.put(k, b.getAs(k));
                boxes.add(box);
            }
            m.put("boxes", boxes);
            for (String k : List.of("prompt_tokens", "image_tokens", "completion_tokens", "finish_reason", "error")) m.put(k, r.getAs(k));
            try {
                return json.writeValueAsString(m);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the row of " + r.getAs("path") + " as JSON: " + e.getMessage(), e);
            }
        }
    }

    /** A Parquet folder; each chunk of rows is appended as one file. */
    static final class Parquet extends BatchSink {
        private final String folder;
        private final SparkSession spark;

        Parquet(String folder, SparkSession spark) {
            this.folder = folder;
            this.spark = spark;
        }

        @Override
        Set<String> answered() {
            Set<String> done = new HashSet<>();
            if (!Files.isDirectory(Path.of(folder))) return done;
            for (Row r : spark.read().parquet(folder).select("path").collectAsList()) done.add(r.getString(0));
            return done;
        }

        @Override
        void append(List<Row> rows) {
            spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode(SaveMode.Append).parquet(folder);
        }
    }
}
