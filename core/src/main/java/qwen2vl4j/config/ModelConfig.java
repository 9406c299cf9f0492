package qwen2vl4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import qwen2vl4j.io.Json;
import qwen2vl4j.io.ModelLoadException;

/**
 * config.json of a Qwen2-VL model, in the official flat form (text fields at the top,
 * {@code rope_scaling.mrope_section}) or the newer nested form ({@code text_config},
 * {@code rope_parameters}). Text fields are looked up in {@code text_config} first, then at the top.
 */
public record ModelConfig(
        TextConfig text,
        VisionConfig vision,
        int imageTokenId,
        int videoTokenId,
        int visionStartTokenId,
        int visionEndTokenId,
        int bosTokenId,
        int[] eosTokenIds) {

    public static ModelConfig load(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        return parse(Json.read(file), file);
    }

    public static ModelConfig parse(JsonNode root, Path file) {
        ConfigFields f = new ConfigFields(file);
        if (!root.isObject()) throw f.error("expected a JSON object");
        String modelType = f.stringField("model_type", null, root);
        if (modelType != null && !modelType.equals("qwen2_vl")) {
            throw f.error("field 'model_type' is '" + modelType + "', expected 'qwen2_vl' (Qwen2-VL)");
        }
        JsonNode tc = root.path("text_config").isObject() ? root.get("text_config") : null;
        JsonNode[] text = tc != null ? new JsonNode[] {tc, root} : new JsonNode[] {root};

        int hidden = f.requiredPositiveInt("hidden_size", text);
        int heads = f.requiredPositiveInt("num_attention_heads", text);
        if (hidden % heads != 0) throw f.error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        int kvHeads = f.positiveInt("num_key_value_heads", heads, text);
        if (heads % kvHeads != 0) {
            throw f.error("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = f.positiveInt("head_dim", hidden / heads, text);

        JsonNode ropeParams = ConfigFields.first("rope_parameters", text);
        JsonNode ropeScaling = ConfigFields.first("rope_scaling", text);
        JsonNode sectionNode = null;
        if (ropeParams != null && ropeParams.has("mrope_section")) sectionNode = ropeParams.get("mrope_section");
        else if (ropeScaling != null && ropeScaling.has("mrope_section")) sectionNode = ropeScaling.get("mrope_section");
        if (sectionNode == null || !sectionNode.isArray() || sectionNode.size() != 3) {
            throw f.error("field 'mrope_section' (in rope_scaling or rope_parameters) must be a list of 3 integers, found " + sectionNode);
        }
        int[] section = new int[3];
        int sum = 0;
        for (int i = 0; i < 3; i++) {
            if (!sectionNode.get(i).isIntegralNumber() || !sectionNode.get(i).canConvertToInt() || sectionNode.get(i).asInt() < 0) {
                throw f.error("field 'mrope_section' must hold integers of at least 0, found " + sectionNode);
            }
            section[i] = sectionNode.get(i).asInt();
            sum += section[i];
        }
        if (sum * 2 != headDim) {
            throw f.error("mrope_section " + sectionNode + " sums to " + sum + " but head_dim / 2 is " + headDim / 2);
        }
        double theta = ropeParams != null && ropeParams.has("rope_theta")
                ? ropeParams.get("rope_theta").asDouble()
                : f.doubleField("rope_theta", 1_000_000.0, text);
        if (!(theta > 0) || Double.isInfinite(theta)) throw f.error("field 'rope_theta' must be a positive number, found " + theta);

        boolean tie = f.boolField("tie_word_embeddings", f.boolField("tie_word_embeddings", true, root), text);
        TextConfig textConfig = new TextConfig(
                hidden,
                f.requiredPositiveInt("intermediate_size", text),
                f.requiredPositiveInt("num_hidden_layers", text),
                heads,
                kvHeads,
                headDim,
                f.requiredPositiveInt("vocab_size", text),
                f.doubleField("rms_norm_eps", 1e-6, text),
                theta,
                section,
                f.positiveInt("max_position_embeddings", 32768, text),
                tie);

        JsonNode vc = root.path("vision_config");
        if (!vc.isObject()) {
            throw f.error(vc.isMissingNode() || vc.isNull() ? "field 'vision_config' is missing" : "field 'vision_config' must be an object, found " + vc);
        }
        int embedDim = f.positiveInt("embed_dim", 1280, vc);
        int vHeads = f.positiveInt("num_heads", 16, vc);
        if (embedDim % vHeads != 0) throw f.error("vision_config.embed_dim " + embedDim + " is not divisible by num_heads " + vHeads);
        VisionConfig visionConfig = new VisionConfig(
                f.positiveInt("depth", 32, vc),
                embedDim,
                f.positiveInt("hidden_size", hidden, vc),
                vHeads,
                f.positiveInt("mlp_ratio", 4, vc),
                f.positiveInt("in_chans", f.positiveInt("in_channels", 3, vc), vc),
                f.positiveInt("patch_size", f.positiveInt("spatial_patch_size", 14, vc), vc),
                f.positiveInt("spatial_merge_size", 2, vc),
                f.positiveInt("temporal_patch_size", 2, vc),
                f.stringField("hidden_act", "quick_gelu", vc));
        if (visionConfig.hiddenSize() != hidden) {
            throw f.error("vision_config.hidden_size " + visionConfig.hiddenSize() + " (merger output) differs from the text hidden_size " + hidden);
        }
        int[] eos = f.intList("eos_token_id", text);
        return new ModelConfig(
                textConfig,
                visionConfig,
                f.tokenId("image_token_id", 151655, root, tc == null ? root : tc),
                f.tokenId("video_token_id", 151656, root, tc == null ? root : tc),
                f.tokenId("vision_start_token_id", 151652, root, tc == null ? root : tc),
                f.tokenId("vision_end_token_id", 151653, root, tc == null ? root : tc),
                f.tokenId("bos_token_id", 151643, text),
                eos.length == 0 ? new int[] {151645} : eos);
    }
}
