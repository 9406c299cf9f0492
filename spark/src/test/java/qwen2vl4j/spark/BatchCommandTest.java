package qwen2vl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int batch(String... args) {
        SparkFixture.spark();   // the command joins the test's local[2] session and leaves it running
        return BatchCommand.commandLine().execute(args);
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) out.add(JSON.readTree(line));
        return out;
    }

    @Test
    void writesOneJsonLinePerInputAndResumes(@TempDir Path tmp) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        for (String n : List.of("exact_224x224.png", "small_112x84.png", "tiny_20x30.png")) {
            Files.copy(SparkFixture.image(n), images.resolve(n));
        }
        Files.write(images.resolve("broken.jpg"), new byte[] {1, 2, 3});
        Path out = tmp.resolve("out.jsonl");
        String[] args = {"--model", SparkFixture.tinyModel(), "--input", images.toString(), "--prompt", "Describe.",
                "--max-tokens", "4", "--out", out.toString(), "-q"};
        assertEquals(0, batch(args));
        List<JsonNode> rows = lines(out);
        assertEquals(4, rows.size());
        for (JsonNode r : rows) {
            List<String> keys = new ArrayList<>();
            r.fieldNames().forEachRemaining(keys::add);
            assertEquals(List.of("path", "text", "boxes", "prompt_tokens", "image_tokens", "completion_tokens", "finish_reason", "error"), keys);
        }
        JsonNode broken = rows.stream().filter(r -> r.get("path").asText().endsWith("broken.jpg")).findFirst().orElseThrow();
        assertTrue(broken.get("error").asText().contains("broken.jpg"), broken.toString());
        assertTrue(broken.get("text").isNull());
        JsonNode exact = rows.stream().filter(r -> r.get("path").asText().endsWith("exact_224x224.png")).findFirst().orElseThrow();
        assertTrue(exact.get("error").isNull());
        assertEquals(4, exact.get("completion_tokens").asInt());
        assertEquals(64, exact.get("image_tokens").asInt());

        // resume: a new image is answered, the four already in the file are not run again
        Files.copy(SparkFixture.image("gray_256x256.png"), images.resolve("gray_256x256.png"));
        long stepsBefore = ExecutorModels.decodeSteps();
        assertEquals(0, batch(args));
        List<JsonNode> after = lines(out);
        assertEquals(5, after.size());
        assertEquals(rows, after.subList(0, 4));
        assertTrue(after.get(4).get("path").asText().endsWith("gray_256x256.png"));
        assertEquals(3, ExecutorModels.decodeSteps() - stepsBefore, "decode steps of the one new image (4 tokens)");
    }

    @Test
    void writesParquetAndResumes(@TempDir Path tmp) throws Exception {
        Path list = tmp.resolve("inputs.jsonl");
        Files.writeString(list, "{\"path\": \"" + SparkFixture.image("small_112x84.png") + "\"}\n"
                + "{\"path\": \"missing.png\", \"prompt\": \"What is this?\"}\n");
        String out = tmp.resolve("out.parquet").toString();
        String[] args = {"--model", SparkFixture.tinyModel(), "--input", list.toString(), "--prompt", "Describe.",
                "--max-tokens", "3", "--out", out, "-q"};
        assertEquals(0, batch(args));
        assertEquals(0, batch(args));
        List<Row> rows = SparkFixture.spark().read().parquet(out).collectAsList();
        assertEquals(2, rows.size(), "rows after a resumed run: " + rows);
        // found by name, not by sort order: where the fixtures and the temporary folder lie decides that order
        Row missing = rows.stream().filter(r -> r.getString(0).endsWith("missing.png")).findFirst().orElseThrow();
        Row answered = rows.stream().filter(r -> r.getString(0).endsWith("small_112x84.png")).findFirst().orElseThrow();
        assertTrue(((String) missing.getAs("error")).contains(tmp.resolve("missing.png").toString()), missing.toString());
        assertNull(answered.getAs("error"));
        assertEquals(3, (int) answered.getAs("completion_tokens"));
    }

    @Test
    void badArgumentsNameTheOption(@TempDir Path tmp) {
        assertEquals(1, batch("--model", SparkFixture.tinyModel(), "--input", tmp.resolve("nothing").toString(), "--prompt", "x"));
        assertEquals(2, batch("--model", SparkFixture.tinyModel()));
    }

    /** One line that names the flag, before Spark runs a task: "" ran every image under the working directory, a bad glob
     * gave a three-line regex error, a bad master or a missing model a Spark stack trace, --max-pixels 10 was taken. */
    @Test
    void badValuesAreOneLineNamingTheFlag(@TempDir Path tmp) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Files.copy(Path.of(System.getProperty("fixtures.dir", "../fixtures"), "images", "tiny_20x30.png"), images.resolve("a.png"));
        String model = SparkFixture.tinyModel(), in = images.toString();
        Path cut = Files.writeString(tmp.resolve("cut.jsonl"), "{\"path\": \"a.png\"}\n{\"path\": \"b.png\"\n");
        String[][] cases = {
                {"--input", cut.toString(), cut + " line 2: not a JSON object at line 1, column 17: Unexpected end-of-input: expected close"
                        + " marker for Object (opened at line 1, column 1)"},
                {"--input", "", "--input must name a folder, a glob, a .jsonl file or an image, found ''"},
                {"--input", tmp + "/[", "--input " + tmp + "/[: not a valid glob: Missing '"},
                {"--master", "bogus://x", "--master must be local, local[N], local[*], spark://HOST:PORT, yarn or k8s://URL, found 'bogus://x'"},
                {"--model", tmp.resolve("no-model").toString(), "model folder " + tmp.resolve("no-model") + " does not exist"},
                {"--max-pixels", "10", "--max-pixels must be in [784, 178956970] pixels"},
                {"--min-pixels", "-1", "--min-pixels must be in [784, 178956970] pixels"},
                {"--threads", "-1", "--threads must be in [0, "},
                {"--chunk", "-1", "--chunk must be >= 0 (0 = 4 x batch size x parallelism), got -1"},
                {"--out", tmp.resolve("missing/out.jsonl").toString(), "folder " + tmp.resolve("missing") + " does not exist"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--model", model, "--input", in, "--prompt", "x", "-q"));
            int at = args.indexOf(c[0]);
            if (at >= 0) args.set(at + 1, c[1]); else args.addAll(List.of(c[0], c[1]));
            SparkFixture.spark();
            StringWriter err = new StringWriter();
            var cl = BatchCommand.commandLine();
            cl.setErr(new PrintWriter(err, true));
            assertEquals(1, cl.execute(args.toArray(String[]::new)), c[0] + " " + c[1]);
            assertTrue(err.toString().startsWith("qwen2vl4j batch: ") && err.toString().contains(c[2]), err.toString());
            assertEquals(1, err.toString().lines().count(), err.toString());
        }
    }
}
