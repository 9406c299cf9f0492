package qwen2vl4j;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.Json;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.text.PrefillRecorder;
import qwen2vl4j.text.TextModel;
import qwen2vl4j.text.TextSession;
import qwen2vl4j.vision.VisionTransformer;

/**
 * The whole model (vision tower and text decoder) loaded some way (quantized, on another backend or precision),
 * against the reference logits of every position of every golden_geometry case (pixels in, logits out). Two paths
 * are measured: the prefill of each case (four or more rows: the GEMM) and, for the trailing text tokens, one-token
 * steps (the decode's matrix-vector products). Quality: the cosine between our logits and the reference per
 * position, and top-1 agreement.
 */
public final class GeometryQuality {
    private GeometryQuality() {}

    /** Cosine (min, mean) and top-1 agreement over all positions compared (prefill and one-token steps). */
    public record Quality(String label, int positions, double minCosine, double meanCosine, double top1, int steps, double stepMinCosine,
                          double visionRelativeError) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d positions, logit cosine min %.6f mean %.6f, top-1 agreement %.1f%%; "
                    + "%d one-token steps, cosine min %.6f; vision embeddings relative error %.2e", label, positions, minCosine, meanCosine,
                    100 * top1, steps, stepMinCosine, visionRelativeError);
        }
    }

    /** The geometry model's checkpoint quantized to {@code format} at load, on the Java kernels. */
    public static Quality measure(WeightFormat format) {
        Path dir = Fixtures.geometryModel();
        return measure(format.name(), CheckpointQuantizer.quantizeAtLoad(Weights.open(dir), ModelConfig.load(dir), format));
    }

    /** The geometry model loaded from {@code weights} (closed here), against the reference logits. */
    public static Quality measure(String label, Weights opened) {
        Path dir = Fixtures.geometryModel();
        ModelConfig config = ModelConfig.load(dir);
        List<Double> cosines = new ArrayList<>();
        double stepMin = 1, visionError = 0;
        int agree = 0, steps = 0;
        try (Weights weights = opened;
             SafeTensors golden = SafeTensors.open(Fixtures.file("golden_geometry.safetensors"))) {
            VisionTransformer vision = VisionTransformer.load(weights, config.vision());
            TextModel text = TextModel.load(weights, config);
            int vocab = config.text().vocabSize();
            for (JsonNode c : Json.read(Fixtures.file("golden_geometry.json"))) {
                String key = c.get("key").asText();
                int[] ids = Arrays.stream(golden.tensor(key + "/input_ids").toLongArray()).mapToInt(Math::toIntExact).toArray();
                int n = ids.length;
                long[] pos = golden.tensor(key + "/position_ids").toLongArray();
                int[][] positions = new int[3][n];
                for (int a = 0; a < 3; a++) for (int i = 0; i < n; i++) positions[a][i] = Math.toIntExact(pos[a * n + i]);
                float[] expected = golden.tensor(key + "/logits").toFloatArray();
                float[] images = encode(vision, golden, c, "pixel_values", "image_grid_thw");
                float[] videos = encode(vision, golden, c, "pixel_values_videos", "video_grid_thw");
                visionError = Math.max(visionError, relativeError(golden, c, "image_embeds", images));
                visionError = Math.max(visionError, relativeError(golden, c, "video_embeds", videos));

                PrefillRecorder recorder = new PrefillRecorder(text, n);
                text.newSession().prefill(ids, images, videos, positions, recorder);
                float[] all = recorder.allLogits();
                for (int i = 0; i < n; i++) {
                    cosines.add(cosine(expected, all, i * vocab, vocab));
                    if (argmax(expected, i * vocab, vocab) == argmax(all, i * vocab, vocab)) agree++;
                }
                // the trailing text tokens again, one token per step (the decode path)
                int first = n;
                while (first > 1 && n - first < 8 && ids[first - 1] < 1000) first--;
                TextSession s = text.newSession();
                s.prefill(Arrays.copyOf(ids, first), images, videos, slice(positions, 0, first));
                for (int t = first; t < n; t++) {
                    float[] logits = s.prefill(new int[] {ids[t]}, null, null, slice(positions, t, t + 1));
                    stepMin = Math.min(stepMin, cosine(expected, logits, t * vocab, vocab));
                    steps++;
                }
            }
        }
        double min = cosines.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double mean = cosines.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return new Quality(label, cosines.size(), Math.min(min, stepMin), mean, (double) agree / cosines.size(), steps, stepMin, visionError);
    }

    private static float[] encode(VisionTransformer vision, SafeTensors golden, JsonNode c, String pixelsField, String gridField) {
        if (!c.has(pixelsField)) return null;
        Tensor pixels = golden.tensor(c.get(pixelsField).asText());
        long[] g = golden.tensor(c.get(gridField).asText()).toLongArray();
        return vision.forward(pixels.toFloatArray(), pixels.dim(0), Grid.rows(g)).data();
    }

    /** ‖ours − reference‖ / ‖reference‖ of a case's vision embeddings, 0 where it has none. */
    private static double relativeError(SafeTensors golden, JsonNode c, String field, float[] ours) {
        if (!c.has(field) || ours == null) return 0;
        float[] ref = golden.tensor(c.get(field).asText()).toFloatArray();
        if (ref.length != ours.length) throw new IllegalStateException(field + ": " + ours.length + " values, reference " + ref.length);
        double diff = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            diff += ((double) ours[i] - ref[i]) * ((double) ours[i] - ref[i]);
            norm += (double) ref[i] * ref[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static int[][] slice(int[][] positions, int from, int to) {
        int[][] out = new int[3][];
        for (int a = 0; a < 3; a++) out[a] = Arrays.copyOfRange(positions[a], from, to);
        return out;
    }

    public static double cosine(float[] expected, float[] actual, int off, int n) {
        double dot = 0, ee = 0, aa = 0;
        int ao = actual.length == n ? 0 : off;
        for (int i = 0; i < n; i++) {
            dot += (double) expected[off + i] * actual[ao + i];
            ee += (double) expected[off + i] * expected[off + i];
            aa += (double) actual[ao + i] * actual[ao + i];
        }
        return dot / Math.sqrt(ee * aa);
    }

    private static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }
}
