package qwen2vl4j.io;

/**
 * Where the bytes of a {@link DType#Q4_0} row lie, in the layout this engine writes ({@value QuantizedTensors#GROUPED}
 * in a file's metadata) and its kernels read: the row's {@code blocks} f16 scales ({@code 2·blocks} bytes), then the
 * nibbles of its blocks (16 bytes each: byte {@code m} holds values {@code m} and {@code 16 + m} in its low and high
 * nibble), grouped by {@link #GROUP} blocks. A whole group is four 32-byte chunks, chunk {@code k} holding bytes
 * {@code 4k..4k+3} of the group's blocks side by side, so that one 256-bit load has two 16-bit lanes of every block
 * of the group; the blocks past the last whole group keep their 16 bytes in order.
 */
public final class Q4Layout {
    /** Blocks per group. */
    public static final int GROUP = 8;

    private Q4Layout() {}

    /** Byte offset of the f16 scale of block {@code b} of the row at {@code row}. */
    public static long scale(long row, long b) {
        return row + 2 * b;
    }

    /** Byte offset of byte {@code m} (0..15) of the nibbles of block {@code b} of the row at {@code row} of {@code blocks} blocks. */
    public static long nibble(long row, long blocks, long b, int m) {
        long nibbles = row + 2 * blocks;
        if (b >= (blocks & -GROUP)) return nibbles + 16 * b + m;
        return nibbles + 16 * (b - b % GROUP) + 32 * (m / 4) + 4 * (b % GROUP) + m % 4;
    }
}
