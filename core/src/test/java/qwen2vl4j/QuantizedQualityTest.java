package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
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
 * The whole model (vision tower and text decoder) with its matrices quantized at load time, against
 * the reference logits of every position of every golden_geometry case (pixels in, logits out).
 * Two paths are measured: the prefill of each case (four or more rows: the tiled GEMM over dequantized
 * weights) and, for the trailing text tokens, one-token steps (the integer Q8 kernels).
 * Quality: the cosine between our logits and the reference per position, and top-1 agreement.
 * The bar: Q8_0 keeps every position's cosine ≥ 0.999.
 */
class QuantizedQualityTest {
    private static final double Q8_MIN_COSINE = 0.999;
    /**
     * Not a requirement of the issue: a guard against regressions just below what Q4_0 measures on this
     * random-weight fixture (min 0.938, mean 0.962; 4 bits per weight of random Gaussian weights leave
     * about 8% error per weight, and the reference's top-1 margins are small).
     */
    private static final double Q4_MIN_COSINE = 0.93;
    private static final double Q4_MIN_MEAN_COSINE = 0.95;
    private static final double BF16_MIN_COSINE = 0.999999;

    @Test
    void q8KeepsLogitCosineAboveTheBar() {
        Quality q = measure(WeightFormat.Q8_0);
        System.out.println(q);
        assertTrue(q.minCosine() >= Q8_MIN_COSINE, "Q8_0 " + q);
        assertTrue(q.top1() >= 0.95, "Q8_0 top-1 agreement " + q);
    }

    @Test
    void q4StaysClose() {
        Quality q = measure(WeightFormat.Q4_0);
        System.out.println(q);
        assertTrue(q.minCosine() >= Q4_MIN_COSINE && q.meanCosine() >= Q4_MIN_MEAN_COSINE, "Q4_0 " + q);
    }

    @Test
    void bf16IsTheReferenceItself() {
        Quality q = measure(WeightFormat.BF16);
        System.out.println(q);
        assertTrue(q.minCosine() >= BF16_MIN_COSINE, "bf16 " + q);
        assertEquals(1.0, q.top1(), 0.02, "bf16 top-1 (ties in the reference aside)");
    }

    /** Cosine (min, mean) and top-1 agreement over all positions compared (prefill and one-token steps). */
    record Quality(WeightFormat format, int positions, double minCosine, double meanCosine, double top1, int steps, double stepMinCosine) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d positions, logit cosine min %.6f mean %.6f, top-1 agreement %.1f%%; "
                    + "%d one-token steps, cosine min %.6f", format, positions, minCosine, meanCosine, 100 * top1, steps, stepMinCosine);
        }
    }

    static Quality measure(WeightFormat format) {
        Path dir = Fixtures.geometryModel();
        ModelConfig config = ModelConfig.load(dir);
        List<Double> cosines = new ArrayList<>();
        double stepMin = 1;
        int agree = 0, steps = 0;
        try (Weights weights = CheckpointQuantizer.quantizeAtLoad(Weights.open(dir), config, format);
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
        return new Quality(format, cosines.size(), Math.min(min, stepMin), mean, (double) agree / cosines.size(), steps, stepMin);
    }

    private static float[] encode(VisionTransformer vision, SafeTensors golden, JsonNode c, String pixelsField, String gridField) {
        if (!c.has(pixelsField)) return null;
        Tensor pixels = golden.tensor(c.get(pixelsField).asText());
        long[] g = golden.tensor(c.get(gridField).asText()).toLongArray();
        return vision.forward(pixels.toFloatArray(), pixels.dim(0), Grid.rows(g)).data();
    }

    private static int[][] slice(int[][] positions, int from, int to) {
        int[][] out = new int[3][];
        for (int a = 0; a < 3; a++) out[a] = Arrays.copyOfRange(positions[a], from, to);
        return out;
    }

    private static double cosine(float[] expected, float[] actual, int off, int n) {
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
