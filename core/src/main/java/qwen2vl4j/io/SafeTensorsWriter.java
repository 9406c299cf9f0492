package qwen2vl4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes tensors held in memory to a safetensors file (used by the preprocess command and tests). */
public final class SafeTensorsWriter {
    private record Entry(String name, DType dtype, long[] shape, byte[] bytes) {}

    private final List<Entry> entries = new ArrayList<>();

    public SafeTensorsWriter addF32(String name, long[] shape, float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return add(name, DType.F32, shape, b.array(), data.length);
    }

    /** Stores float data rounded to bfloat16 (round to nearest even), as checkpoints do. */
    public SafeTensorsWriter addBF16(String name, long[] shape, float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) b.putShort(toBF16(f));
        return add(name, DType.BF16, shape, b.array(), data.length);
    }

    public SafeTensorsWriter addI64(String name, long[] shape, long[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return add(name, DType.I64, shape, b.array(), data.length);
    }

    public SafeTensorsWriter addU8(String name, long[] shape, byte[] data) {
        return add(name, DType.U8, shape, data.clone(), data.length);
    }

    /** Adds raw little-endian bytes of the given dtype. */
    public SafeTensorsWriter addRaw(String name, DType dtype, long[] shape, byte[] bytes) {
        return add(name, dtype, shape, bytes, bytes.length / dtype.bytes());
    }

    private SafeTensorsWriter add(String name, DType dtype, long[] shape, byte[] bytes, long count) {
        if (Tensor.numel(shape) != count) {
            throw new IllegalArgumentException("tensor " + name + ": shape holds " + Tensor.numel(shape) + " elements, data has " + count);
        }
        entries.add(new Entry(name, dtype, shape.clone(), bytes));
        return this;
    }

    /** bfloat16 bits of {@code f}, rounded to nearest even (NaN stays NaN). */
    public static short toBF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7FC0;
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    public void write(Path path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            var off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + e.bytes.length);
            offset += e.bytes.length;
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        byte[] headerBytes = new byte[h.length + pad];
        System.arraycopy(h, 0, headerBytes, 0, h.length);
        for (int i = h.length; i < headerBytes.length; i++) headerBytes[i] = ' ';
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (OutputStream out = Files.newOutputStream(path)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
            out.write(len.array());
            out.write(headerBytes);
            for (Entry e : entries) out.write(e.bytes);
        }
    }
}
