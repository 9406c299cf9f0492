package qwen2vl4j.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;

/**
 * Every tensor a Qwen2-VL checkpoint must hold, with the shape the config implies (the state dict of Hugging Face's {@code Qwen2VLForConditionalGeneration}),
 * in the hub's naming. {@link #verify} checks a whole folder before any component is built, so a
 * wrong checkpoint fails in one clear message instead of half-way through a load.
 */
public final class CheckpointLayout {
    /** The token embedding's checkpoint key. */
    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    /** The untied language-model head's checkpoint key. */
    public static final String LM_HEAD = "lm_head.weight";

    private CheckpointLayout() {}

    /**
     * The tensor the language-model head multiplies by, as Hugging Face's {@code tie_weights} decides: {@value #LM_HEAD}
     * unless config.json ties the embeddings ({@code tie_word_embeddings}, true for Qwen2-VL-2B) or the checkpoint does
     * not hold it; otherwise the token embedding {@value #EMBED_TOKENS}. The one place the rule is written: the text
     * decoder, the quantizer and the benchmark's cost model all ask here.
     */
    public static String lmHeadName(TextConfig t, Weights weights) {
        return !t.tieWordEmbeddings() && weights.has(LM_HEAD) ? LM_HEAD : EMBED_TOKENS;
    }

    /** The text decoder's linear weights ({@code model.layers.*}, two dimensions), in the order one token runs through them. */
    public static List<String> textLinearWeights(ModelConfig config) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected(config).entrySet()) {
            if (e.getKey().startsWith("model.layers.") && e.getValue().length == 2) names.add(e.getKey());
        }
        return names;
    }

    /** Name → shape of every tensor; {@code lm_head.weight} only when the embeddings are not tied. */
    public static Map<String, long[]> expected(ModelConfig config) {
        TextConfig t = config.text();
        VisionConfig v = config.vision();
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = t.hiddenSize(), q = (long) t.numAttentionHeads() * t.headDim(), kv = t.kvDim(), ff = t.intermediateSize();
        m.put(EMBED_TOKENS, new long[] {t.vocabSize(), h});
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
        if (!t.tieWordEmbeddings()) m.put(LM_HEAD, new long[] {t.vocabSize(), h});

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
