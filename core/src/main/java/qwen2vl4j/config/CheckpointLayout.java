package qwen2vl4j.config;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;

/**
 * Every tensor a Qwen2-VL checkpoint must hold, with the shape the config implies (spec §1.3),
 * in the hub's naming. {@link #verify} checks a whole folder before any component is built, so a
 * wrong checkpoint fails in one clear message instead of half-way through a load.
 */
public final class CheckpointLayout {
    private CheckpointLayout() {}

    /** Name → shape of every tensor; {@code lm_head.weight} only when the embeddings are not tied. */
    public static Map<String, long[]> expected(ModelConfig config) {
        TextConfig t = config.text();
        VisionConfig v = config.vision();
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = t.hiddenSize(), q = (long) t.numAttentionHeads() * t.headDim(), kv = t.kvDim(), ff = t.intermediateSize();
        m.put("model.embed_tokens.weight", new long[] {t.vocabSize(), h});
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            m.put(p + "self_attn.q_proj.bias", new long[] {q});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.k_proj.bias", new long[] {kv});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.v_proj.bias", new long[] {kv});
            m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {ff, h});
            m.put(p + "mlp.up_proj.weight", new long[] {ff, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, ff});
        }
        m.put("model.norm.weight", new long[] {h});
        if (!t.tieWordEmbeddings()) m.put("lm_head.weight", new long[] {t.vocabSize(), h});

        long e = v.embedDim(), mlp = v.mlpHiddenDim(), merged = v.mergedDim();
        m.put("visual.patch_embed.proj.weight",
                new long[] {e, v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize()});
        for (int b = 0; b < v.depth(); b++) {
            String p = "visual.blocks." + b + ".";
            m.put(p + "norm1.weight", new long[] {e});
            m.put(p + "norm1.bias", new long[] {e});
            m.put(p + "attn.qkv.weight", new long[] {3 * e, e});
            m.put(p + "attn.qkv.bias", new long[] {3 * e});
            m.put(p + "attn.proj.weight", new long[] {e, e});
            m.put(p + "attn.proj.bias", new long[] {e});
            m.put(p + "norm2.weight", new long[] {e});
            m.put(p + "norm2.bias", new long[] {e});
            m.put(p + "mlp.fc1.weight", new long[] {mlp, e});
            m.put(p + "mlp.fc1.bias", new long[] {mlp});
            m.put(p + "mlp.fc2.weight", new long[] {e, mlp});
            m.put(p + "mlp.fc2.bias", new long[] {e});
        }
        m.put("visual.merger.ln_q.weight", new long[] {e});
        m.put("visual.merger.ln_q.bias", new long[] {e});
        m.put("visual.merger.mlp.0.weight", new long[] {merged, merged});
        m.put("visual.merger.mlp.0.bias", new long[] {merged});
        m.put("visual.merger.mlp.2.weight", new long[] {v.hiddenSize(), merged});
        m.put("visual.merger.mlp.2.bias", new long[] {v.hiddenSize()});
        return m;
    }

    /**
     * Checks that {@code weights} holds every expected tensor with the expected shape and a float
     * dtype (BF16, F16 or F32), or a block-quantized one (Q8_0, Q4_0) for matrices. Throws naming the first tensor that is missing or wrong.
     */
    public static void verify(Weights weights, ModelConfig config) {
        for (Map.Entry<String, long[]> e : expected(config).entrySet()) {
            if (!weights.has(e.getKey())) {
                throw new ModelLoadException("model " + weights.folder() + " is missing tensor " + e.getKey()
                        + " (expected shape " + Arrays.toString(e.getValue()) + " from config.json)");
            }
            Tensor t = weights.tensor(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": config.json implies shape "
                        + Arrays.toString(e.getValue()) + " but the file has " + Arrays.toString(t.shape()));
            }
            if (t.dtype() != DType.BF16 && t.dtype() != DType.F16 && t.dtype() != DType.F32
                    && !(t.dtype().isQuantized() && t.shape().length == 2)) {
                throw new ModelLoadException("tensor " + t.name() + " in " + t.file() + ": dtype " + t.dtype()
                        + " is not a float type (BF16, F16 or F32) nor a quantized matrix (Q8_0, Q4_0)");
            }
        }
    }
}
