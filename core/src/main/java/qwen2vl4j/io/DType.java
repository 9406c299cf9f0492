package qwen2vl4j.io;

/** Element types of safetensors files, with their names as written in the header. */
public enum DType {
    BF16(2), F16(2), F32(4), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The type named in a safetensors header, or null when the name is unknown. */
    public static DType fromHeader(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }
}
