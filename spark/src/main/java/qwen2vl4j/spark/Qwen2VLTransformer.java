package qwen2vl4j.spark;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Qwen2-VL as a Spark ML {@link Transformer}: answers a prompt about each row's image (captioning, OCR, grounding) and
 * appends the answer as a struct column ({@link ResultSchema#RESULT}: {@code text, boxes, prompt_tokens, image_tokens,
 * completion_tokens, finish_reason, error}). A row that cannot be answered (an undecodable image, a missing file, a
 * prompt over the context) gets its {@code error}; the job goes on. Saves and loads with its {@code Pipeline}
 * (parameters only: the model is referenced by its location).
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("photos/");
 * Dataset<Row> out = new Qwen2VLTransformer().setModel("Qwen/Qwen2-VL-2B-Instruct")
 *         .setPrompt("Describe this image.").setMaxTokens(128).transform(images);
 * out.select("path", "qwen2vl.text").show();
 * }</pre>
 */
public final class Qwen2VLTransformer extends Transformer implements DefaultParamsWritable {
    private final String uid;
    private final Param<String> model;
    private final Param<String> imageCol;
    private final Param<String> pathCol;
    private final Param<String> prompt;
    private final Param<String> promptCol;
    private final Param<String> outputCol;
    private final IntParam maxTokens;
    private final BooleanParam greedy;
    private final DoubleParam temperature;
    private final IntParam topK;
    private final DoubleParam topP;
    private final LongParam seed;
    private final LongParam minPixels;
    private final LongParam maxPixels;
    private final Param<String> weights;
    private final Param<String> kvCache;
    private final Param<String> precision;
    private final IntParam batchSize;
    private final IntParam threads;

    public Qwen2VLTransformer() {
        this(Identifiable.randomUID("qwen2vl"));
    }

    /** For {@link DefaultParamsReader}: the stage with {@code uid}. */
    public Qwen2VLTransformer(String uid) {
        this.uid = uid;
        model = new Param<>(this, "model", "model folder (seen by every executor) or Hugging Face repo id");
        imageCol = new Param<>(this, "imageCol", "binary column of encoded images (binaryFile's content) or string column of paths/URIs");
        pathCol = new Param<>(this, "pathCol", "string column naming each row in error messages (ignored when absent)");
        prompt = new Param<>(this, "prompt", "the prompt of every row (when promptCol is empty)");
        promptCol = new Param<>(this, "promptCol", "string column with each row's prompt; empty: use prompt");
        outputCol = new Param<>(this, "outputCol", "the answer's struct column");
        maxTokens = new IntParam(this, "maxTokens", "the most tokens an answer may have", ParamValidators.gtEq(1));
        greedy = new BooleanParam(this, "greedy", "greedy decoding (reference-exact); false samples with temperature/topK/topP/seed");
        temperature = new DoubleParam(this, "temperature", "sampling temperature (> 0) when not greedy", ParamValidators.gt(0));
        topK = new IntParam(this, "topK", "sampling keeps the k most likely tokens; 0 keeps all", ParamValidators.gtEq(0));
        topP = new DoubleParam(this, "topP", "nucleus sampling mass, in (0, 1]", ParamValidators.inRange(0, 1, false, true));
        seed = new LongParam(this, "seed", "sampling seed (-1: a random one per row)");
        minPixels = new LongParam(this, "minPixels", "smallest pixel budget an image is resized to; 0 keeps the preprocessor's", ParamValidators.gtEq(0));
        maxPixels = new LongParam(this, "maxPixels", "largest pixel budget an image is resized to; 0 keeps the preprocessor's", ParamValidators.gtEq(0));
        weights = new Param<>(this, "weights", "weight format: bf16 (as stored, memory-mapped), q8_0 or q4_0 (quantized at load)",
                ParamValidators.inArray(new String[] {"bf16", "q8_0", "q4_0"}));
        kvCache = new Param<>(this, "kvCache", "KV cache type: f32, bf16 or f16", ParamValidators.inArray(new String[] {"f32", "bf16", "f16"}));
        precision = new Param<>(this, "precision", "arithmetic of the large matrix products: f32 (the reference) or bf16 (the CPU's "
                + "bf16 units through the onednn backend where the executor has them, else f32)", ParamValidators.inArray(new String[] {"f32", "bf16"}));
        batchSize = new IntParam(this, "batchSize", "rows generated together per executor, their decode steps batched", ParamValidators.inRange(1, 256));
        threads = new IntParam(this, "threads", "kernel threads per executor; 0 uses all its cores", ParamValidators.gtEq(0));
        setDefault(imageCol, "content");
        setDefault(pathCol, "path");
        setDefault(prompt, "Describe this image.");
        setDefault(promptCol, "");
        setDefault(outputCol, "qwen2vl");
        setDefault(maxTokens, 512);
        setDefault(greedy, true);
        setDefault(temperature, 1.0);
        setDefault(topK, 0);
        setDefault(topP, 1.0);
        setDefault(seed, -1L);
        setDefault(minPixels, 0L);
        setDefault(maxPixels, 0L);
        setDefault(weights, "bf16");
        setDefault(kvCache, "f32");
        setDefault(precision, "f32");
        setDefault(batchSize, 4);
        setDefault(threads, 0);
    }

    /** For Pipeline loading: {@code Qwen2VLTransformer.load(path)} or through {@code PipelineModel.load}. */
    public static MLReader<Qwen2VLTransformer> read() {
        return new DefaultParamsReader<>();
    }

    public static Qwen2VLTransformer load(String path) {
        return read().load(path);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ------------------------------------------------------------------ params (public accessors: Spark finds params through them)

    public Param<String> model() { return model; }
    public Param<String> imageCol() { return imageCol; }
    public Param<String> pathCol() { return pathCol; }
    public Param<String> prompt() { return prompt; }
    public Param<String> promptCol() { return promptCol; }
    public Param<String> outputCol() { return outputCol; }
    public IntParam maxTokens() { return maxTokens; }
    public BooleanParam greedy() { return greedy; }
    public DoubleParam temperature() { return temperature; }
    public IntParam topK() { return topK; }
    public DoubleParam topP() { return topP; }
    public LongParam seed() { return seed; }
    public LongParam minPixels() { return minPixels; }
    public LongParam maxPixels() { return maxPixels; }
    public Param<String> weights() { return weights; }
    public Param<String> kvCache() { return kvCache; }
    public Param<String> precision() { return precision; }
    public IntParam batchSize() { return batchSize; }
    public IntParam threads() { return threads; }

    public Qwen2VLTransformer setModel(String v) { set(model, v); return this; }
    public Qwen2VLTransformer setImageCol(String v) { set(imageCol, v); return this; }
    public Qwen2VLTransformer setPathCol(String v) { set(pathCol, v); return this; }
    public Qwen2VLTransformer setPrompt(String v) { set(prompt, v); return this; }
    public Qwen2VLTransformer setPromptCol(String v) { set(promptCol, v); return this; }
    public Qwen2VLTransformer setOutputCol(String v) { set(outputCol, v); return this; }
    public Qwen2VLTransformer setMaxTokens(int v) { set(maxTokens, v); return this; }
    public Qwen2VLTransformer setGreedy(boolean v) { set(greedy, v); return this; }
    public Qwen2VLTransformer setTemperature(double v) { set(temperature, v); return this; }
    public Qwen2VLTransformer setTopK(int v) { set(topK, v); return this; }
    public Qwen2VLTransformer setTopP(double v) { set(topP, v); return this; }
    public Qwen2VLTransformer setSeed(long v) { set(seed, v); return this; }
    public Qwen2VLTransformer setMinPixels(long v) { set(minPixels, v); return this; }
    public Qwen2VLTransformer setMaxPixels(long v) { set(maxPixels, v); return this; }
    public Qwen2VLTransformer setWeights(String v) { set(weights, v); return this; }
    public Qwen2VLTransformer setKvCache(String v) { set(kvCache, v); return this; }
    public Qwen2VLTransformer setPrecision(String v) { set(precision, v); return this; }
    public Qwen2VLTransformer setBatchSize(int v) { set(batchSize, v); return this; }
    public Qwen2VLTransformer setThreads(int v) { set(threads, v); return this; }

    private <T> T value(Param<T> p) {
        return getOrDefault(p);
    }

    private int intValue(Param<?> p) {
        return ((Number) getOrDefault(p)).intValue();
    }

    private long longValue(Param<?> p) {
        return ((Number) getOrDefault(p)).longValue();
    }

    private double doubleValue(Param<?> p) {
        return ((Number) getOrDefault(p)).doubleValue();
    }

    // ------------------------------------------------------------------ the stage

    /** The partition function this stage runs, for {@code schema}'s rows. */
    public RowGenerator rowGenerator(StructType schema) {
        if (!isDefined(model)) throw new IllegalArgumentException("param model is not set: call setModel(folder or repo id)");
        ModelSpec spec = new ModelSpec(value(model), value(weights), value(kvCache), longValue(minPixels), longValue(maxPixels), intValue(threads),
                value(precision));
        long s = longValue(seed);
        Decoding decoding = new Decoding(intValue(maxTokens), (Boolean) getOrDefault(greedy), doubleValue(temperature),
                intValue(topK), doubleValue(topP), s < 0 ? null : s);
        return new RowGenerator(new PartitionGenerator(spec, decoding, intValue(batchSize)), schema,
                value(imageCol), value(pathCol), value(promptCol), value(prompt), value(outputCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        RowGenerator f = rowGenerator(dataset.schema());
        return dataset.toDF().mapPartitions(f, f.encoder());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return rowGenerator(schema).outputSchema();
    }

    @Override
    public Qwen2VLTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
