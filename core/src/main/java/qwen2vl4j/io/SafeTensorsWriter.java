package qwen2vl4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes safetensors files: tensors gathered in memory ({@link #write}, used by the preprocess command
 * and tests), or declared first and streamed to the file ({@link #stream}, for files larger than the heap).
 */
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
        List<TensorSpec> specs = new ArrayList<>();
        for (Entry e : entries) specs.add(new TensorSpec(e.name, e.dtype, e.shape));
        try (Streaming out = stream(path, specs)) {
            for (Entry e : entries) out.write(ByteBuffer.wrap(e.bytes));
        }
    }

    /** A tensor declared before its data is streamed: name, element type and shape. */
    public record TensorSpec(String name, DType dtype, long[] shape) {
        /** Bytes of the tensor's data. */
        public long bytes() {
            return dtype.byteSize(Tensor.numel(shape));
        }
    }

    /**
     * Starts a safetensors file whose tensors are all declared up front (block-quantized ones are
     * written as U8 with the metadata of {@link QuantizedTensors}) and whose data then
     * follows through {@link Streaming#write}, in the declared order, straight to the file: a
     * file of any size is written with a buffer's worth of heap.
     */
    public static Streaming stream(Path path, List<TensorSpec> specs) throws IOException {
        byte[] header = header(specs);
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            writeFully(ch, ByteBuffer.wrap(header));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        long total = 0;
        for (TensorSpec t : specs) total += t.bytes();
        return new Streaming(path, ch, total);
    }

    /** The data section of a file begun by {@link #stream}; closing checks that all of it was written. */
    public static final class Streaming implements AutoCloseable {
        private final Path path;
        private final FileChannel channel;
        private final long expected;
        private long written;

        private Streaming(Path path, FileChannel channel, long expected) {
            this.path = path;
            this.channel = channel;
            this.expected = expected;
        }

        /** Appends the remaining bytes of {@code data} (little-endian tensor data, in declared order). */
        public void write(ByteBuffer data) throws IOException {
            if (written + data.remaining() > expected) {
                throw new IllegalStateException(path + ": writing past the declared " + expected + " data bytes");
            }
            written += data.remaining();
            writeFully(channel, data);
        }

        @Override
        public void close() throws IOException {
            channel.close();
            if (written != expected) {
                throw new IllegalStateException(path + ": " + written + " data bytes written, the header declares " + expected);
            }
        }
    }

    private static byte[] header(List<TensorSpec> specs) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        String quantized = QuantizedTensors.describe(specs);
        if (quantized != null) header.putObject("__metadata__").put(QuantizedTensors.METADATA_KEY, quantized);
        long offset = 0;
        for (TensorSpec e : specs) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().isQuantized() ? DType.U8.name() : e.dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.dtype().isQuantized() ? QuantizedTensors.storedShape(e.dtype(), e.shape()) : e.shape()) shape.add(d);
            var off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + e.bytes());
            offset += e.bytes();
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        byte[] headerBytes = new byte[h.length + pad];
        System.arraycopy(h, 0, headerBytes, 0, h.length);
        for (int i = h.length; i < headerBytes.length; i++) headerBytes[i] = ' ';
        return headerBytes;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
