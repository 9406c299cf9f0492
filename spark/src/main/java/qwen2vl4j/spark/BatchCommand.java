package qwen2vl4j.spark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.hub.ModelResolver;

/**
 * {@code bin/qwen2vl4j batch}: answers one prompt about many images with Spark (local mode by default), in chunks
 * whose rows are appended to the output as they finish, with progress on stderr. Re-running with the same
 * {@code --out} skips the images it already holds.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Answer a prompt about many images on Spark (local mode by default); one output row per image.")
public final class BatchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|REPO", description = "model folder or Hugging Face repo id")
    String model;

    @Option(names = "--input", required = true, paramLabel = "DIR|GLOB|FILE.jsonl",
            description = "a folder of images, a glob (photos/**.jpg), a JSON Lines file of {\"path\", \"prompt\"} or one image")
    String input;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt of every image (a JSONL row's prompt wins)")
    String prompt;

    @Option(names = "--out", paramLabel = "OUT.jsonl|OUT.parquet", defaultValue = "-",
            description = "output: a JSON Lines file or a Parquet folder, appended to and resumed; - (default) prints JSON Lines")
    String out;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (default: the one spark-submit gives, else local[*])")
    String master;

    @Option(names = "--max-tokens", defaultValue = "512", paramLabel = "N", description = "most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--min-pixels", defaultValue = "0", paramLabel = "P", description = "smallest pixel budget per image (default: the preprocessor's)")
    long minPixels;

    @Option(names = "--max-pixels", defaultValue = "0", paramLabel = "P", description = "largest pixel budget per image (default: the preprocessor's)")
    long maxPixels;

    @Option(names = "--weights", defaultValue = "bf16", paramLabel = "bf16|q8_0|q4_0", description = "weight format (default: ${DEFAULT-VALUE})")
    String weights;

    @Option(names = "--kv-cache", defaultValue = "f32", paramLabel = "f32|bf16|f16", description = "KV cache type (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Option(names = "--precision", defaultValue = "f32", paramLabel = "f32|bf16",
            description = "arithmetic of the large matrix products: f32 (default, the reference) or bf16 (the CPU's bf16 units, onednn)")
    String precision;

    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "N",
            description = "images generated together per executor, their decode steps batched (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "kernel threads per executor (default: all cores)")
    int threads;

    @Option(names = "--chunk", defaultValue = "0", paramLabel = "ROWS",
            description = "rows per Spark job, written when it ends (default: 4 x batch size x parallelism)")
    int chunk;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "partitions per chunk (default: Spark's default parallelism; in local mode 1, which batches best)")
    int partitions;

    @Option(names = {"-q", "--quiet"}, description = "no progress lines")
    boolean quiet;

    private static final StructType INPUT = new StructType()
            .add("path", DataTypes.StringType, false).add("prompt", DataTypes.StringType, true);

    @Override
    public Integer call() {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        if (batchSize < 1 || batchSize > 256) throw new IllegalArgumentException("--batch-size must be in [1, 256], got " + batchSize);
        if (chunk < 0) throw new IllegalArgumentException("--chunk must be >= 0 (0 = 4 x batch size x parallelism), got " + chunk);
        if (partitions < 0) throw new IllegalArgumentException("--partitions must be >= 0 (0 = Spark's default parallelism), got " + partitions);
        LoadOptions.checkPixelBudget("--min-pixels", minPixels, true);
        LoadOptions.checkPixelBudget("--max-pixels", maxPixels, true);
        if (minPixels != 0 && maxPixels != 0 && minPixels > maxPixels) {
            throw new IllegalArgumentException("--min-pixels " + minPixels + " is larger than --max-pixels " + maxPixels);
        }
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads < 0 || threads > processors) {
            throw new IllegalArgumentException("--threads must be in [0, " + processors + "] (0 = all available processors), got " + threads);
        }
        if (master != null && !master.matches("local-cluster\\[.*]|local(\\[(\\*|\\d+)(, *\\d+)?])?|(spark|k8s|mesos)://.+|yarn")) {
            throw new IllegalArgumentException("--master must be local, local[N], local[*], spark://HOST:PORT, yarn or k8s://URL, found '" + master + "'");
        }
        List<BatchInputs.Input> inputs = BatchInputs.list(input);
        for (BatchInputs.Input in : inputs) {
            if (in.prompt() == null && (prompt == null || prompt.isEmpty())) {
                throw new IllegalArgumentException("--prompt is needed: " + in.path() + " has no prompt of its own");
            }
        }
        ModelSpec spec = new ModelSpec(model, weights, kvCache, minPixels, maxPixels, threads, precision);   // checks the options first
        PrintStream err = System.err;
        if (master == null) master = System.getProperty("spark.master", "local[*]");
        // in local mode the executors are this JVM: a missing model fails here, not as a stack trace from each task
        if (master.startsWith("local")) ModelResolver.resolveOrDownload(model);
        BatchSink.checkWritable(out);
        boolean owned = SparkSession.getDefaultSession().isEmpty();   // a caller's session (tests, a notebook) is left running
        SparkSession spark = session();
        try {
            BatchSink sink = BatchSink.open(out, spark);
            Set<String> answered = sink.answered();
            List<Row> todo = new ArrayList<>();
            for (BatchInputs.Input in : inputs) {
                if (!answered.contains(in.path())) todo.add(RowFactory.create(in.path(), in.prompt() == null ? prompt : in.prompt()));
            }
            boolean local = master.startsWith("local");
            int parallelism = partitions > 0 ? partitions : local ? 1 : spark.sparkContext().defaultParallelism();
            int rowsPerJob = chunk > 0 ? chunk : Math.max(4 * batchSize * parallelism, 8);
            if (!quiet) {
                err.printf(Locale.ROOT, "batch: %d images, %d already answered in %s, %d to run (%s, %d per job)%n", inputs.size(),
                        inputs.size() - todo.size(), out, todo.size(), master, rowsPerJob);
            }
            Qwen2VLTransformer stage = new Qwen2VLTransformer().setModel(spec.model()).setWeights(weights).setKvCache(kvCache).setPrecision(precision)
                    .setMinPixels(minPixels).setMaxPixels(maxPixels).setThreads(threads).setMaxTokens(maxTokens)
                    .setBatchSize(batchSize).setImageCol("path").setPathCol("path").setPromptCol("prompt").setOutputCol("answer");
            long start = System.nanoTime();
            int doneRows = 0, errors = 0;
            for (int from = 0; from < todo.size(); from += rowsPerJob) {
                List<Row> part = todo.subList(from, Math.min(todo.size(), from + rowsPerJob));
                Dataset<Row> df = spark.createDataFrame(part, INPUT).repartition(Math.min(parallelism, part.size()));
                List<Row> rows = stage.transform(df).select("path", "answer.*").collectAsList();
                sink.append(rows);
                for (Row r : rows) if (r.getAs("error") != null) errors++;
                doneRows += rows.size();
                if (!quiet) {
                    double minutes = (System.nanoTime() - start) / 6e10;
                    err.printf(Locale.ROOT, "batch: %d/%d done (errors: %d), %.1f images/min%n", doneRows, todo.size(), errors,
                            doneRows / Math.max(minutes, 1e-9));
                }
            }
            return 0;
        } finally {
            if (owned) spark.stop();
        }
    }

    private SparkSession session() {
        SparkSession.Builder b = SparkSession.builder().appName("qwen2vl4j batch").master(master)
                .config("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local")) {
            b.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        } else {
            // executors need this module's jars (the launcher passes them) and the engine's JVM flags
            String jars = System.getProperty("qwen2vl4j.spark.jars");
            if (jars != null && !jars.isEmpty()) b.config("spark.jars", jars);
            if (System.getProperty("spark.executor.extraJavaOptions") == null) {   // spark-submit --conf wins
                b.config("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "
                        + "--sun-misc-unsafe-memory-access=allow -Xss8m");
            }
        }
        return b.getOrCreate();
    }

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            var config = BatchCommand.class.getResource("batch-log4j2.properties");
            if (config != null) System.setProperty("log4j2.configurationFile", config.toString());
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line; errors print one line on stderr and exit non-zero (as the other commands). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BatchCommand());
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("qwen2vl4j batch: " + ex.getMessage() + " (see: qwen2vl4j batch --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("qwen2vl4j batch: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("QWEN2VL4J_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl;
    }
}
