package qwen2vl4j.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import qwen2vl4j.config.CheckpointLayout;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.SafeTensorsWriter;
import qwen2vl4j.io.SafeTensorsWriter.TensorSpec;

/**
 * A model folder with random bf16 weights at the real Qwen2-VL-2B-Instruct geometry (the hub's
 * {@code config.json}): the same tensors, names and shapes as the hub checkpoint, for measuring speed without
 * downloading the model. Beside them, the small files {@link qwen2vl4j.Qwen2VL#load} reads
 * ({@link #writeSideFiles}): the hub's preprocessor config and a byte-level tokenizer with the special tokens but
 * no merges (the benchmark feeds token ids, never text). Matrices and biases are uniform with a standard
 * deviation of 0.02, norm weights are 1. The data is streamed to disk (a few MB of heap); the
 * folder is complete once its {@code config.json} exists, which is written last.
 */
final class RandomModel {
    /** config.json of Qwen2-VL-2B-Instruct (flat hub form). */
    static final String CONFIG_JSON = """
            {
              "architectures": ["Qwen2VLForConditionalGeneration"],
              "model_type": "qwen2_vl",
              "hidden_size": 1536,
              "intermediate_size": 8960,
              "num_hidden_layers": 28,
              "num_attention_heads": 12,
              "num_key_value_heads": 2,
              "hidden_act": "silu",
              "max_position_embeddings": 32768,
              "rope_theta": 1000000.0,
              "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
              "rms_norm_eps": 1e-06,
              "vocab_size": 151936,
              "tie_word_embeddings": true,
              "bos_token_id": 151643,
              "eos_token_id": 151645,
              "vision_start_token_id": 151652,
              "vision_end_token_id": 151653,
              "vision_token_id": 151654,
              "image_token_id": 151655,
              "video_token_id": 151656,
              "torch_dtype": "bfloat16",
              "vision_config": {
                "depth": 32, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16, "in_chans": 3,
                "hidden_size": 1536, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2
              }
            }
            """;
    private static final float HALF_WIDTH = (float) (Math.sqrt(3) * 0.02);
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private RandomModel() {}

    /** True when {@code folder} holds a finished model written by {@link #write}. */
    static boolean isComplete(Path folder) {
        return Files.isRegularFile(folder.resolve("config.json")) && Files.isRegularFile(folder.resolve("model.safetensors"));
    }

    /** Writes the folder (replacing an unfinished one); returns the bytes of weights written. */
    static long write(Path folder, long seed) throws IOException {
        Files.createDirectories(folder);
        Files.deleteIfExists(folder.resolve("config.json"));
        Path tmpConfig = folder.resolve("config.json.tmp");
        Files.writeString(tmpConfig, CONFIG_JSON);
        ModelConfig config = ModelConfig.parse(new ObjectMapper().readTree(CONFIG_JSON), tmpConfig);
        List<TensorSpec> specs = new ArrayList<>();
        for (Map.Entry<String, long[]> e : CheckpointLayout.expected(config).entrySet()) {
            specs.add(new TensorSpec(e.getKey(), DType.BF16, e.getValue()));
        }
        Path tmp = folder.resolve("model.safetensors.tmp");
        long bytes = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 2).order(ByteOrder.LITTLE_ENDIAN);
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        try (SafeTensorsWriter.Streaming out = SafeTensorsWriter.stream(tmp, specs)) {
            for (TensorSpec spec : specs) {
                boolean norm = isNormWeight(spec.name());
                long left = spec.bytes() / 2;
                while (left > 0) {
                    int count = (int) Math.min(left, CHUNK_ELEMENTS);
                    buf.clear();
                    for (int i = 0; i < count; i++) {
                        state ^= state << 13;
                        state ^= state >>> 7;
                        state ^= state << 17;
                        float value = norm ? 1f : uniform(state);
                        buf.putShort(i * 2, SafeTensorsWriter.toBF16(value));
                    }
                    buf.limit(count * 2);
                    out.write(buf);
                    left -= count;
                    bytes += count * 2L;
                }
            }
        }
        Files.move(tmp, folder.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpConfig, folder.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        return bytes;
    }

    /** preprocessor_config.json of Qwen2-VL-2B-Instruct. */
    static final String PREPROCESSOR_CONFIG_JSON = """
            {
              "min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "temporal_patch_size": 2, "merge_size": 2,
              "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
              "image_processor_type": "Qwen2VLImageProcessor", "processor_class": "Qwen2VLProcessor"
            }
            """;
    /** The special tokens of the Qwen2-VL vocabulary, from id 151643 on. */
    private static final String[] SPECIAL_TOKENS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
            "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
            "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"};
    private static final int FIRST_SPECIAL = 151_643;
    private static final String CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
            + "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
            + "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
            + "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
            + "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    /**
     * Writes the files beside the weights that are missing (a folder from an earlier release has only the weights and
     * {@code config.json}): {@code preprocessor_config.json}, {@code tokenizer.json} (the 256 byte-level symbols and
     * the special tokens) and {@code tokenizer_config.json} (a ChatML template).
     */
    static void writeSideFiles(Path folder) throws IOException {
        writeIfAbsent(folder.resolve("preprocessor_config.json"), PREPROCESSOR_CONFIG_JSON);
        ObjectMapper json = new ObjectMapper();
        var tokenizer = json.createObjectNode();
        var model = tokenizer.putObject("model");
        model.put("type", "BPE");
        var vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteLevelChar(b)), b);
        model.putArray("merges");
        var added = tokenizer.putArray("added_tokens");
        for (int i = 0; i < SPECIAL_TOKENS.length; i++) {
            added.addObject().put("id", FIRST_SPECIAL + i).put("content", SPECIAL_TOKENS[i]).put("special", true).put("normalized", false);
        }
        writeIfAbsent(folder.resolve("tokenizer.json"), json.writeValueAsString(tokenizer));
        writeIfAbsent(folder.resolve("tokenizer_config.json"), json.writeValueAsString(
                json.createObjectNode().put("chat_template", CHAT_TEMPLATE).put("eos_token", "<|im_end|>").put("pad_token", "<|endoftext|>")));
    }

    private static void writeIfAbsent(Path file, String text) throws IOException {
        if (Files.isRegularFile(file)) return;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    /** GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the others for code points from 256 on. */
    private static char byteLevelChar(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return (char) b;
        int n = 0;
        for (int i = 0; i < b; i++) {
            if (!((i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) n++;
        }
        return (char) (256 + n);
    }

    /** Uniform in ±√3·STD from the top 24 bits of a xorshift state. */
    private static float uniform(long state) {
        float u = (state >>> 40) * (1f / (1 << 24));
        return (2f * u - 1f) * HALF_WIDTH;
    }

    private static boolean isNormWeight(String name) {
        return name.endsWith("norm.weight") || name.endsWith("norm1.weight") || name.endsWith("norm2.weight")
                || name.endsWith("ln_q.weight");
    }
}
