package qwen2vl4j.io;

/**
 * Element types of safetensors files, with their names as written in the header, and the two GGUF
 * block-quantized types ({@link #Q8_0}, {@link #Q4_0}) this engine keeps weights in. A block type
 * stores {@link #blockSize()} elements in {@link #bytes()} bytes; safetensors files hold them as
 * {@code U8} rows marked in the metadata (see {@link QuantizedTensors}), so they are never a header name.
 */
public enum DType {
    BF16(2), F16(2), F32(4), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1),
    /** GGUF Q8_0: blocks of 32, each an f16 scale {@code d} then 32 int8 {@code q}; value = d·q. */
    Q8_0(34, 32),
    /** GGUF Q4_0: blocks of 32, each an f16 scale {@code d} then 16 bytes of 4-bit q (low nibbles first 16); value = d·(q−8). */
    Q4_0(18, 32);

    private final int bytes;
    private final int blockSize;

    DType(int bytes) {
        this(bytes, 1);
    }

    DType(int bytes, int blockSize) {
        this.bytes = bytes;
        this.blockSize = blockSize;
    }

    /** Bytes per element, or per block for the block types. */
    public int bytes() {
        return bytes;
    }

    /** Elements per block: 1 for the plain types, 32 for the quantized ones. */
    public int blockSize() {
        return blockSize;
    }

    /** Whether this is a block-quantized type. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bytes taken by {@code numel} elements ({@code numel} a multiple of the block size). */
    public long byteSize(long numel) {
        return numel / blockSize * bytes;
    }

    /** The type named in a safetensors header, or null when the name is unknown (block types are never header names). */
    public static DType fromHeader(String name) {
        for (DType d : values()) {
            if (!d.isQuantized() && d.name().equals(name)) return d;
        }
        return null;
    }
}
