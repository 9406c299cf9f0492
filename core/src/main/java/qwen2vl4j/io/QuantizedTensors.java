package qwen2vl4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How block-quantized tensors ({@link DType#Q8_0}, {@link DType#Q4_0}) live in a safetensors file
 * that any safetensors reader still opens: each is stored as {@code U8} of shape
 * {@code [rows, cols / 32 · blockBytes]} (the GGUF blocks of each row, in order), and the header's
 * {@code __metadata__} holds {@value #METADATA_KEY}: a JSON object (as a string) naming, per tensor,
 * its block type and its logical shape, e.g. {@code {"model.layers.0.mlp.up_proj.weight":
 * {"dtype":"Q8_0","shape":[8960,1536]}}}.
 */
public final class QuantizedTensors {
    /** The metadata entry that marks the quantized tensors of a file. */
    public static final String METADATA_KEY = "qwen2vl4j.quantized";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QuantizedTensors() {}

    /** The shape a quantized tensor of logical shape {@code [rows, cols]} is stored with as U8. */
    public static long[] storedShape(DType type, long[] shape) {
        long rows = shape[0], cols = shape[1];
        return new long[] {rows, cols / type.blockSize() * type.bytes()};
    }

    /** The metadata value describing {@code specs}' quantized tensors, or null when there are none. */
    static String describe(List<SafeTensorsWriter.TensorSpec> specs) {
        ObjectNode root = JSON.createObjectNode();
        for (SafeTensorsWriter.TensorSpec s : specs) {
            if (!s.dtype().isQuantized()) continue;
            ObjectNode t = root.putObject(s.name());
            t.put("dtype", s.dtype().name());
            var shape = t.putArray("shape");
            for (long d : s.shape()) shape.add(d);
        }
        return root.isEmpty() ? null : root.toString();
    }

    /** Re-types the U8 tensors that the file's metadata marks as quantized; other tensors pass through. */
    static Map<String, Tensor> apply(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        String value = metadata.get(METADATA_KEY);
        if (value == null) return tensors;
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (IOException e) {
            throw new ModelLoadException("safetensors file " + path + ": metadata " + METADATA_KEY + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException("safetensors file " + path + ": metadata " + METADATA_KEY + " is not a JSON object");
        }
        Map<String, Tensor> out = new LinkedHashMap<>(tensors);
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            String where = "safetensors file " + path + ", quantized tensor " + e.getKey();
            Tensor stored = tensors.get(e.getKey());
            if (stored == null) throw new ModelLoadException(where + ": listed in metadata " + METADATA_KEY + " but not in the file");
            DType type = blockType(e.getValue().path("dtype").asText(""), where);
            JsonNode shapeNode = e.getValue().path("shape");
            if (!shapeNode.isArray() || shapeNode.size() != 2 || !shapeNode.get(0).canConvertToLong() || !shapeNode.get(1).canConvertToLong()) {
                throw new ModelLoadException(where + ": 'shape' must be [rows, cols], found " + shapeNode);
            }
            long[] shape = {shapeNode.get(0).asLong(), shapeNode.get(1).asLong()};
            if (shape[0] < 0 || shape[1] <= 0 || shape[1] % type.blockSize() != 0) {
                throw new ModelLoadException(where + ": shape " + Arrays.toString(shape) + " must have a positive multiple of "
                        + type.blockSize() + " columns");
            }
            long[] expected = storedShape(type, shape);
            if (stored.dtype() != DType.U8 || !Arrays.equals(stored.shape(), expected)) {
                throw new ModelLoadException(where + ": expected U8 " + Arrays.toString(expected) + " holding " + type + " "
                        + Arrays.toString(shape) + ", found " + stored.dtype() + " " + Arrays.toString(stored.shape()));
            }
            out.put(e.getKey(), new Tensor(stored.name(), type, shape, stored.data(), stored.file()));
        }
        return out;
    }

    private static DType blockType(String name, String where) {
        for (DType d : DType.values()) {
            if (d.isQuantized() && d.name().equals(name)) return d;
        }
        throw new ModelLoadException(where + ": unknown block type '" + name + "' (expected Q8_0 or Q4_0)");
    }
}
