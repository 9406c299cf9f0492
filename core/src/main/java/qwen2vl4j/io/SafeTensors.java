package qwen2vl4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, memory-mapped with the FFM API (no copy into the heap; files over 2 GB work).
 * The header is validated completely before any tensor is handed out: its length fits the file, every
 * dtype is known, every shape is non-negative, every byte range lies inside the data section, matches
 * shape × dtype size, and no two ranges overlap. U8 tensors that the metadata marks as block-quantized
 * come back with their block type and logical shape ({@link QuantizedTensors}).
 */
public final class SafeTensors implements AutoCloseable {
    /** Headers larger than this are refused (the format's own limit is 100 MB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; throws {@link ModelLoadException} naming the file and tensor on any fault. */
    public static SafeTensors open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelLoadException("safetensors file " + path + " is truncated: " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new ModelLoadException("safetensors file " + path + ": header length " + Long.toUnsignedString(headerLen)
                        + " does not fit the file of " + size + " bytes (truncated or not a safetensors file)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8, path);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ModelLoadException("safetensors file " + path + ": header is not valid JSON: " + e.getMessage(), e);
            }
            if (header == null || !header.isObject()) {
                throw new ModelLoadException("safetensors file " + path + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            MemorySegment dataSeg = all.asSlice(dataStart, dataSize);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            List<String> rangeNames = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode v = e.getValue();
                if (name.equals("__metadata__")) {
                    if (v.isObject()) v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                String where = "safetensors file " + path + ", tensor " + name;
                if (!v.isObject()) throw new ModelLoadException(where + ": header entry is not an object");
                DType dtype = DType.fromHeader(v.path("dtype").asText(""));
                if (dtype == null) {
                    throw new ModelLoadException(where + ": unknown dtype '" + v.path("dtype").asText("") + "'");
                }
                JsonNode shapeNode = v.path("shape");
                if (!shapeNode.isArray()) throw new ModelLoadException(where + ": field 'shape' is missing or not an array");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    JsonNode d = shapeNode.get(i);
                    if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                        throw new ModelLoadException(where + ": shape " + shapeNode + " has an invalid dimension");
                    }
                    shape[i] = d.asLong();
                }
                JsonNode off = v.path("data_offsets");
                if (!off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
                    throw new ModelLoadException(where + ": field 'data_offsets' must be two integers, found " + off);
                }
                long begin = off.get(0).asLong(), end = off.get(1).asLong();
                if (begin < 0 || end < begin || end > dataSize) {
                    throw new ModelLoadException(where + ": data_offsets [" + begin + ", " + end + "] lie outside the data section of "
                            + dataSize + " bytes (file truncated or header corrupt)");
                }
                long expected;
                try {
                    expected = Math.multiplyExact(Tensor.numel(shape), (long) dtype.bytes());
                } catch (ArithmeticException ex) {
                    throw new ModelLoadException(where + ": shape " + shapeNode + " is too large");
                }
                if (end - begin != expected) {
                    throw new ModelLoadException(where + ": data_offsets cover " + (end - begin) + " bytes but shape " + shapeNode
                            + " of " + dtype + " needs " + expected);
                }
                ranges.add(new long[] {begin, end});
                rangeNames.add(name);
                tensors.put(name, new Tensor(name, dtype, shape, dataSeg.asSlice(begin, end - begin), path.toString()));
            }
            checkNoOverlap(path, ranges, rangeNames);
            tensors = QuantizedTensors.apply(path, tensors, metadata);
            return new SafeTensors(path, arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelLoadException("safetensors file " + path + " does not exist", e);
        } catch (IOException e) {
            arena.close();
            throw new ModelLoadException("cannot read safetensors file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkNoOverlap(Path path, List<long[]> ranges, List<String> names) {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> ranges.get(i)[0]));
        for (int k = 1; k < order.length; k++) {
            long[] prev = ranges.get(order[k - 1]);
            long[] cur = ranges.get(order[k]);
            if (cur[0] < prev[1] && cur[1] > cur[0] && prev[1] > prev[0]) {
                throw new ModelLoadException("safetensors file " + path + ": tensors " + names.get(order[k - 1]) + " and "
                        + names.get(order[k]) + " overlap (bytes " + prev[0] + "-" + prev[1] + " and " + cur[0] + "-" + cur[1] + ")");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) throw new ModelLoadException("safetensors file " + path + " is truncated");
        }
    }

    /** The tensor called {@code name}; throws naming the file when there is none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new ModelLoadException("safetensors file " + path + " has no tensor " + name);
        return t;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Path path() {
        return path;
    }

    /** Unmaps the file; tensors from it must not be used afterwards. Closing again does nothing. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
