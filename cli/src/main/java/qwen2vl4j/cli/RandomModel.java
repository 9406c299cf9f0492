package qwen2vl4j.cli;

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
 * A model folder with random bf16 weights at the real Qwen2-VL-2B-Instruct geometry (spec §1.2):
 * the same {@code config.json} and the same tensors, names and shapes as the hub checkpoint, for
 * measuring speed without downloading the model. Matrices and biases are uniform with a standard
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
