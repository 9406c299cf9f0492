package qwen2vl4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Matrix;

/** The arithmetic and the memory traffic of the model's work, the bounds the benchmark divides by. */
final class ModelCost {
    private ModelCost() {}

    /** A weight matrix as the loaded model holds it: its shape and element type (quantized at load or as stored). */
    record Shape(String name, int rows, int cols, DType dtype) {
        long bytes() {
            return dtype.byteSize((long) rows * cols);
        }
    }

    /**
     * Floating-point operations (2 per multiply-add) of the vision tower over one image of
     * {@code t × h × w} patches: patch embedding, every block's projections, MLP and attention
     * (one window per frame), and the merger.
     */
    static double visionFlops(VisionConfig v, int t, int h, int w) {
        double patches = (double) t * h * w, frame = (double) h * w;
        double e = v.embedDim(), mlp = v.mlpHiddenDim(), merged = v.mergedDim();
        double embed = patches * v.patchValues() * e;
        double perBlock = patches * (4 * e * e + 2 * e * mlp) + t * 2 * frame * frame * e;
        double merger = patches / (v.spatialMergeSize() * v.spatialMergeSize()) * (merged * merged + merged * v.hiddenSize());
        return 2 * (embed + v.depth() * perBlock + merger);
    }

    /** The matrices called {@code names} in {@code weights}, with the element type {@code loadedType} gives each. */
    static List<Shape> shapes(Weights weights, List<String> names, Function<Tensor, DType> loadedType) {
        List<Shape> all = new ArrayList<>();
        for (String name : names) {
            Matrix m = Matrix.of(weights.tensor(name));
            all.add(new Shape(name, m.rows(), m.cols(), loadedType.apply(weights.tensor(name))));
        }
        return all;
    }

    /** Bytes of weights one decoded token reads: every layer's matrices and the head. */
    static long weightBytesPerToken(List<Shape> layers, Shape head) {
        long bytes = head.bytes();
        for (Shape m : layers) bytes += m.bytes();
        return bytes;
    }

    /** Bytes of the key/value cache one decode step reads at {@code context} cached tokens (f32 cache). */
    static long kvBytesPerToken(TextConfig t, int context) {
        return 2L * t.numHiddenLayers() * context * t.kvDim() * Float.BYTES;
    }

    /**
     * FLOPs of prefilling {@code tokens} tokens: every layer's projections for every token, causal
     * attention (token i attends to i + 1 positions), and the head for the last token.
     */
    static double prefillFlops(List<Shape> layers, Shape head, TextConfig t, int tokens) {
        double linear = 0;
        for (Shape m : layers) linear += (double) m.rows() * m.cols();
        double attention = (double) t.numHiddenLayers() * t.numAttentionHeads() * t.headDim() * 2.0 * tokens * (tokens + 1) / 2.0;
        return 2 * (linear * tokens + attention + (double) head.rows() * head.cols());
    }

    static long bytes(Matrix m) {
        return m.byteSize();
    }
}
