package qwen2vl4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How block-quantized tensors ({@link DType#Q8_0}, {@link DType#Q4_0}) live in a safetensors file
 * that any safetensors reader still opens: each is stored as {@code U8} of shape
 * {@code [rows, cols / 32 · blockBytes]} (the GGUF blocks of each row), and the header's
 * {@code __metadata__} holds {@value #METADATA_KEY}: a JSON object (as a string) naming, per tensor,
 * its block type, its logical shape and, for Q4_0, the layout of its rows, e.g.
 * {@code {"model.layers.0.mlp.up_proj.weight":{"dtype":"Q4_0","shape":[8960,1536],"layout":"planar"}}}.
 *
 * <p>A Q8_0 row is its blocks in order, as in GGUF. A Q4_0 row is {@value #PLANAR}: the f16 scales of its
 * blocks, then their 16-byte nibble groups (the kernels load eight scales at once). Files written before
 * that ({@code "layout"} absent, or {@value #BLOCKS}) hold GGUF's interleaved blocks; their Q4_0 tensors
 * are rearranged into native memory at load, with one line on standard error saying to quantize again.
 */
public final class QuantizedTensors {
    /** The metadata entry that marks the quantized tensors of a file. */
    public static final String METADATA_KEY = "qwen2vl4j.quantized";
    /** The Q4_0 row layout this engine writes and computes on: a row's scales, then its nibbles. */
    public static final String PLANAR = "planar";
    /** GGUF's interleaved Q4_0 blocks (scale, nibbles, scale, …): what files written before {@link #PLANAR} hold. */
    public static final String BLOCKS = "blocks";
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
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
            if (s.dtype() == DType.Q4_0) t.put("layout", PLANAR);
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
        int legacy = 0;
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
            String layout = e.getValue().path("layout").asText(BLOCKS);
            if (type == DType.Q4_0 ? !layout.equals(BLOCKS) && !layout.equals(PLANAR) : !layout.equals(BLOCKS)) {
                throw new ModelLoadException(where + ": unknown layout '" + layout + "' for " + type + " (expected "
                        + (type == DType.Q4_0 ? PLANAR + " or " + BLOCKS : BLOCKS) + ")");
            }
            MemorySegment data = stored.data();
            if (type == DType.Q4_0 && layout.equals(BLOCKS)) {
                data = planarQ4(data, shape[0], shape[1] / type.blockSize());
                legacy++;
            }
            out.put(e.getKey(), new Tensor(stored.name(), type, shape, data, stored.file()));
        }
        if (legacy > 0) {
            System.err.println("qwen2vl4j: " + path + ": " + legacy + " Q4_0 tensors in the older interleaved layout were rearranged in memory;"
                    + " run quantize again to map them directly");
        }
        return out;
    }

    /**
     * GGUF-interleaved Q4_0 rows ({@code [d, 16 bytes]} per block) rearranged into {@link #PLANAR} rows in native
     * memory freed once unreachable: the same bytes, the scales of a row first.
     */
    static MemorySegment planarQ4(MemorySegment blocks, long rows, long perRow) {
        int blockBytes = DType.Q4_0.bytes(), nibbles = blockBytes - 2;
        long rowBytes = perRow * blockBytes;
        MemorySegment out = Arena.ofAuto().allocate(rows * rowBytes, 64);
        for (long r = 0; r < rows; r++) {
            long row = r * rowBytes;
            for (long b = 0; b < perRow; b++) {
                long block = row + b * blockBytes;
                out.set(SHORT_LE, row + 2 * b, blocks.get(SHORT_LE, block));
                MemorySegment.copy(blocks, block + 2, out, row + 2 * perRow + nibbles * b, nibbles);
            }
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
