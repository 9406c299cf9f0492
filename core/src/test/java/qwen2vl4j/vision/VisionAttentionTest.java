package qwen2vl4j.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.preprocess.Grid;

/**
 * The whole attention layer over windows long enough to be cut into several blocks of query rows by
 * {@link qwen2vl4j.kernels.WindowAttention} (the golden cases fit in one), against a direct double-precision
 * evaluation of HF VisionAttention with the tiny model's weights.
 */
class VisionAttentionTest {
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir", "fixtures"));

    @Test
    void blocksOfQueryRowsMatchDirectAttention() {
        // one 28×28 image (784 patches: several blocks) and a two-frame video of 12×16 (one block each)
        checkAgainstDirect(List.of(new Grid(1, 28, 28), new Grid(2, 12, 16)));
    }

    @Test
    void aWindowTooLongForTheCacheTargetTakesLargerBlocksAndStillMatches() {
        // one 60×56 image: 3360 patches in one window, cut into blocks of the long-window size, the last one partial
        checkAgainstDirect(List.of(new Grid(1, 60, 56)));
    }

    private static void checkAgainstDirect(List<Grid> gridThw) {
        Path modelDir = FIXTURES.resolve("models/tiny-qwen2vl");
        VisionConfig c = ModelConfig.load(modelDir).vision();
        int n = gridThw.stream().mapToInt(Grid::patches).sum();
        VisionGrids grids = VisionGrids.of(gridThw, n, c.spatialMergeSize());
        VisionRotaryEmbedding.Table rope = new VisionRotaryEmbedding(c.headDim()).table(grids);
        int dim = c.embedDim();
        Random rnd = new Random(42);
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (Weights weights = Weights.open(modelDir)) {
            float[] actual = VisionAttention.load(weights, c, 1).forward(x, n, grids, rope);
            double[] expected = direct(weights, c, x, n, grids, rope);
            double meanAbs = 0;
            for (double v : expected) meanAbs += Math.abs(v) / expected.length;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 * (Math.abs(expected[i]) + meanAbs), "row " + i / dim + " col " + i % dim);
            }
        }
    }

    /** qkv projection, rotate-half rotary, softmax(q·kᵀ/√d)·v per head and window, output projection: all in double. */
    private static double[] direct(Weights weights, VisionConfig c, float[] x, int n, VisionGrids grids, VisionRotaryEmbedding.Table rope) {
        int dim = c.embedDim(), heads = c.numHeads(), hd = c.headDim(), half = hd / 2;
        Matrix qkv = Matrix.of(weights.tensor("visual.blocks.1.attn.qkv.weight"));
        float[] qkvBias = weights.tensor("visual.blocks.1.attn.qkv.bias").toFloatArray();
        Matrix proj = Matrix.of(weights.tensor("visual.blocks.1.attn.proj.weight"));
        float[] projBias = weights.tensor("visual.blocks.1.attn.proj.bias").toFloatArray();
        double[][] qkvRows = new double[n][3 * dim];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < 3 * dim; o++) {
                double s = qkvBias[o];
                for (int i = 0; i < dim; i++) s += (double) x[r * dim + i] * qkv.get(o, i);
                qkvRows[r][o] = s;
            }
            for (int part = 0; part < 2; part++) {          // q, then k
                for (int h = 0; h < heads; h++) {
                    int off = part * dim + h * hd;
                    double[] before = java.util.Arrays.copyOfRange(qkvRows[r], off, off + hd);
                    for (int j = 0; j < hd; j++) {
                        double rotated = j < half ? -before[j + half] : before[j - half];
                        int t = r * half + j % half;
                        qkvRows[r][off + j] = before[j] * rope.cos()[t] + rotated * rope.sin()[t];
                    }
                }
            }
        }
        double[][] context = new double[n][dim];
        int[] starts = grids.windowStarts();
        for (int w = 0; w < grids.windows(); w++) {
            for (int h = 0; h < heads; h++) {
                for (int i = starts[w]; i < starts[w + 1]; i++) {
                    double[] p = new double[starts[w + 1] - starts[w]];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = starts[w]; j < starts[w + 1]; j++) {
                        double s = 0;
                        for (int d = 0; d < hd; d++) s += qkvRows[i][h * hd + d] * qkvRows[j][dim + h * hd + d];
                        p[j - starts[w]] = s / Math.sqrt(hd);
                        max = Math.max(max, p[j - starts[w]]);
                    }
                    for (int j = 0; j < p.length; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < hd; d++) {
                        double s = 0;
                        for (int j = 0; j < p.length; j++) s += p[j] / sum * qkvRows[starts[w] + j][2 * dim + h * hd + d];
                        context[i][h * hd + d] = s;
                    }
                }
            }
        }
        double[] out = new double[n * dim];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < dim; o++) {
                double s = projBias[o];
                for (int i = 0; i < dim; i++) s += context[r][i] * proj.get(o, i);
                out[r * dim + o] = s;
            }
        }
        return out;
    }
}
